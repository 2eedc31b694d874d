namespace LlamaOrleans.Http.Json;

/// <summary>The body of <c>POST /v1/conversations</c>: the model, the system prompt, sampling and the context policy.</summary>
public sealed class CreateConversationRequest
{
    public string? Model { get; set; }

    public string? SystemPrompt { get; set; }

    public double? Temperature { get; set; }

    public double? TopP { get; set; }

    /// <summary>Most tokens per reply; null = up to the context.</summary>
    public int? MaxTokens { get; set; }

    public long? Seed { get; set; }

    /// <summary>"trim" (default), "summarize" or "fail": what to do when the dialog outgrows the context.</summary>
    public string? ContextPolicy { get; set; }

    /// <summary>Shift kept cache entries instead of recomputing them after a trim (approximate, faster).</summary>
    public bool? ContextShift { get; set; }
}
