using System.Text.Json;
using LlamaOrleans.Http.Errors;
using LlamaOrleans.Http.Json;

namespace LlamaOrleans.Http.Generation;

/// <summary>
/// OpenAI parameters this server cannot honour. A value that asks for something (tools, a JSON response format,
/// penalties) is a 400 naming the parameter, as vLLM and llama.cpp answer, rather than a reply that silently ignores
/// it; the values that ask for nothing (<c>tool_choice: "none"</c>, <c>response_format: {"type":"text"}</c>, a
/// penalty of 0, <c>best_of: 1</c>) are accepted.
/// </summary>
public static class UnsupportedParameters
{
    public const string Code = "unsupported_parameter";

    public static void Check(ChatCompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Refuse("tools", request.Tools is { ValueKind: not JsonValueKind.Null } tools && !(tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() == 0));
        Refuse("tool_choice", AsksFor(request.ToolChoice, "none"));
        Refuse("functions", request.Functions is { ValueKind: not JsonValueKind.Null });
        Refuse("function_call", AsksFor(request.FunctionCall, "none"));
        Refuse("response_format", request.ResponseFormat is { ValueKind: not JsonValueKind.Null } format && !IsTextFormat(format));
        Refuse("audio", request.Audio is { ValueKind: not JsonValueKind.Null });
        CheckCommon(request.LogitBias, request.PresencePenalty, request.FrequencyPenalty);
    }

    public static void Check(CompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Refuse("best_of", request.BestOf is not null and not 1);
        CheckCommon(request.LogitBias, request.PresencePenalty, request.FrequencyPenalty);
    }

    private static void CheckCommon(JsonElement? logitBias, double? presencePenalty, double? frequencyPenalty)
    {
        Refuse("logit_bias", logitBias is { ValueKind: not JsonValueKind.Null } bias && !(bias.ValueKind == JsonValueKind.Object && !bias.EnumerateObject().Any()));
        Refuse("presence_penalty", presencePenalty is not null and not 0);
        Refuse("frequency_penalty", frequencyPenalty is not null and not 0);
    }

    /// <summary>Whether a choice asks for anything other than <paramref name="nothing"/> (absent or null asks for nothing).</summary>
    private static bool AsksFor(JsonElement? choice, string nothing) =>
        choice is { ValueKind: not JsonValueKind.Null } value && !(value.ValueKind == JsonValueKind.String && value.ValueEquals(nothing));

    private static bool IsTextFormat(JsonElement format) =>
        format.ValueKind == JsonValueKind.Object && format.EnumerateObject().Count() == 1
        && format.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("text");

    private static void Refuse(string param, bool refused)
    {
        if (refused)
        {
            throw ApiException.BadRequest($"{param} is not supported by this server.", param, Code);
        }
    }
}
