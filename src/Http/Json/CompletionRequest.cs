using System.Text.Json;

namespace LlamaOrleans.Http.Json;

/// <summary>The body of <c>POST /v1/completions</c> (text completion for pretrained models).</summary>
public sealed class CompletionRequest
{
    public string? Model { get; set; }

    /// <summary>A string, or an array of one string.</summary>
    public JsonElement? Prompt { get; set; }

    /// <summary>Default 16, as OpenAI's.</summary>
    public int? MaxTokens { get; set; }

    public double? Temperature { get; set; }

    public double? TopP { get; set; }

    public long? Seed { get; set; }

    public JsonElement? Stop { get; set; }

    public int? N { get; set; }

    public bool? Stream { get; set; }

    public StreamOptions? StreamOptions { get; set; }

    /// <summary>Return the prompt before the completion.</summary>
    public bool? Echo { get; set; }

    /// <summary>Return each token's log-probability and this many of the most likely tokens at its position (0 to 5).</summary>
    public int? Logprobs { get; set; }

    /// <summary>Not served: a value is refused.</summary>
    public string? Suffix { get; set; }

    public string? User { get; set; }

    /// <summary>Not served: anything but 1 is refused.</summary>
    public int? BestOf { get; set; }

    /// <summary>Not served: a non-empty map is refused.</summary>
    public JsonElement? LogitBias { get; set; }

    /// <summary>Not served (Meta's sampler has no penalties): anything but 0 is refused.</summary>
    public double? PresencePenalty { get; set; }

    /// <summary>Not served: anything but 0 is refused.</summary>
    public double? FrequencyPenalty { get; set; }
}
