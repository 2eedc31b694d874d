namespace LlamaOrleans;

/// <summary>What a conversation does when its dialog no longer fits the model's context with room for a reply.</summary>
[GenerateSerializer]
[Alias("llama.ContextPolicy")]
public enum ContextPolicy
{
    /// <summary>Drop the oldest user/assistant pairs from the model's view (never the system prompt or the newest message).</summary>
    Trim,

    /// <summary>Replace the oldest pairs by a model-written summary carried in the system prompt.</summary>
    Summarize,

    /// <summary>Refuse the turn with a clear error.</summary>
    Fail,
}
