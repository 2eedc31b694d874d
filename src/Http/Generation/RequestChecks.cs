using System.Text.Json;
using LlamaOrleans.Http.Errors;

namespace LlamaOrleans.Http.Generation;

/// <summary>Checks of request fields shared by the endpoints; each failure is a 400 naming the field.</summary>
public static class RequestChecks
{
    public const int MaxStopSequences = 4;

    /// <summary>OpenAI's limits: top log-probabilities per token in chat, and <c>logprobs</c> of a text completion.</summary>
    public const int MaxChatTopLogprobs = 20;

    public const int MaxCompletionLogprobs = 5;

    /// <summary>The request's model, which the cluster must serve (else 404).</summary>
    public static string Model(string? model, IModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (string.IsNullOrWhiteSpace(model))
        {
            throw ApiException.BadRequest("You must provide a model parameter.", "model", "missing_required_parameter");
        }

        catalog.ContextLimit(model);
        return model;
    }

    /// <summary>The request's sampling settings by <see cref="SamplingRules"/>, with OpenAI's temperature range and one choice only.</summary>
    public static Sampling Sampling(double? temperature, double? topP, int? maxTokens, long? seed, JsonElement? stop, int? n)
    {
        var t = temperature ?? Generation.Sampling.DefaultTemperature;
        Require(SamplingRules.Temperature(t, SamplingRules.OpenAiMaxTemperature), "temperature");
        var p = topP ?? Generation.Sampling.DefaultTopP;
        Require(SamplingRules.TopP(p), "top_p");
        Require(SamplingRules.MaxReplyTokens(maxTokens, "max_tokens"), "max_tokens");
        if (n is not null and not 1)
        {
            throw ApiException.BadRequest($"Only n=1 is supported, got {n}.", "n", "invalid_value");
        }

        return new Sampling((float)t, (float)p, maxTokens, seed is { } s ? unchecked((ulong)s) : null, Stop(stop));
    }

    /// <summary>A 400 naming <paramref name="param"/> when there is a <paramref name="problem"/>.</summary>
    public static void Require(string? problem, string param)
    {
        if (problem is not null)
        {
            throw ApiException.BadRequest(problem, param, "invalid_value");
        }
    }

    /// <summary>Chat's <c>logprobs</c> and <c>top_logprobs</c>: null when no log-probabilities are wanted, else the alternatives per token.</summary>
    public static int? ChatLogprobs(bool? logprobs, int? topLogprobs)
    {
        if (topLogprobs is { } top)
        {
            if (logprobs != true)
            {
                throw ApiException.BadRequest("top_logprobs needs logprobs set to true.", "top_logprobs", "invalid_value");
            }

            if (top is < 0 or > MaxChatTopLogprobs)
            {
                throw ApiException.BadRequest($"top_logprobs must be between 0 and {MaxChatTopLogprobs}, got {top}.", "top_logprobs", "invalid_value");
            }
        }

        return logprobs == true ? topLogprobs ?? 0 : null;
    }

    /// <summary>A text completion's <c>logprobs</c>: null when absent, else the alternatives per token.</summary>
    public static int? CompletionLogprobs(int? logprobs) =>
        logprobs is < 0 or > MaxCompletionLogprobs
            ? throw ApiException.BadRequest($"logprobs must be between 0 and {MaxCompletionLogprobs}, got {logprobs}.", "logprobs", "invalid_value")
            : logprobs;

    private static IReadOnlyList<string> Stop(JsonElement? stop)
    {
        if (stop is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        string[] sequences = value.ValueKind switch
        {
            JsonValueKind.String => [JsonText.Get(value, "stop")],
            JsonValueKind.Array when value.GetArrayLength() <= MaxStopSequences && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
                => [.. value.EnumerateArray().Select((e, i) => JsonText.Get(e, $"stop[{i}]"))],
            _ => throw ApiException.BadRequest($"stop must be a string or an array of up to {MaxStopSequences} strings.", "stop", "invalid_type"),
        };
        return sequences.Any(string.IsNullOrEmpty)
            ? throw ApiException.BadRequest("stop sequences must not be empty.", "stop", "invalid_value")
            : sequences;
    }
}
