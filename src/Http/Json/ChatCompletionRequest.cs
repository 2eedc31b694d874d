using System.Text.Json;

namespace LlamaOrleans.Http.Json;

/// <summary>The body of <c>POST /v1/chat/completions</c>, OpenAI's fields that this server reads.</summary>
public sealed class ChatCompletionRequest
{
    public string? Model { get; set; }

    public List<ChatMessageInput?>? Messages { get; set; }

    /// <summary>0 to 2; 0 is greedy. Default Meta's 0.6.</summary>
    public double? Temperature { get; set; }

    /// <summary>(0, 1]; default Meta's 0.9.</summary>
    public double? TopP { get; set; }

    public int? MaxTokens { get; set; }

    /// <summary>OpenAI's newer name for <see cref="MaxTokens"/>.</summary>
    public int? MaxCompletionTokens { get; set; }

    public long? Seed { get; set; }

    /// <summary>A string or up to 4 strings that end the reply (not included).</summary>
    public JsonElement? Stop { get; set; }

    /// <summary>Only 1 is served.</summary>
    public int? N { get; set; }

    public bool? Stream { get; set; }

    public StreamOptions? StreamOptions { get; set; }

    /// <summary>Return the log-probability of each reply token.</summary>
    public bool? Logprobs { get; set; }

    /// <summary>With <see cref="Logprobs"/>: how many of the most likely tokens to return at each position, 0 to 20.</summary>
    public int? TopLogprobs { get; set; }

    /// <summary>The caller's end-user id; accepted and ignored.</summary>
    public string? User { get; set; }

    /// <summary>Not served (the model has no tool calling): a non-empty list is refused.</summary>
    public JsonElement? Tools { get; set; }

    /// <summary>Not served: anything but <c>"none"</c> is refused.</summary>
    public JsonElement? ToolChoice { get; set; }

    /// <summary>Not served (no constrained decoding): anything but <c>{"type":"text"}</c> is refused.</summary>
    public JsonElement? ResponseFormat { get; set; }

    /// <summary>OpenAI's older name for tools; not served, a value is refused.</summary>
    public JsonElement? Functions { get; set; }

    /// <summary>OpenAI's older name for tool_choice; not served, anything but <c>"none"</c> is refused.</summary>
    public JsonElement? FunctionCall { get; set; }

    /// <summary>Not served (text only): a value is refused.</summary>
    public JsonElement? Audio { get; set; }

    /// <summary>Not served: a non-empty map is refused.</summary>
    public JsonElement? LogitBias { get; set; }

    /// <summary>Not served (Meta's sampler has no penalties): anything but 0 is refused.</summary>
    public double? PresencePenalty { get; set; }

    /// <summary>Not served: anything but 0 is refused.</summary>
    public double? FrequencyPenalty { get; set; }
}

/// <summary>One message of the request: a role and text content (a string, or an array of text parts).</summary>
public sealed class ChatMessageInput
{
    public string? Role { get; set; }

    public JsonElement? Content { get; set; }

    public string? Name { get; set; }
}

/// <summary>Streaming options: with <see cref="IncludeUsage"/>, a last chunk carries the usage.</summary>
public sealed class StreamOptions
{
    public bool? IncludeUsage { get; set; }
}
