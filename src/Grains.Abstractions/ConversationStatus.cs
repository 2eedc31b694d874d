namespace LlamaOrleans;

/// <summary>Where a conversation stands: context use, trims and summaries done, KV cache.</summary>
[GenerateSerializer]
[Alias("llama.ConversationStatus")]
public sealed record ConversationStatus
{
    [Id(0)]
    public required string ConversationId { get; init; }

    [Id(1)]
    public required ConversationSettings Settings { get; init; }

    /// <summary>Completed turns.</summary>
    [Id(2)]
    public int Turns { get; init; }

    /// <summary>Tokens the model's view of the dialog took at the last turn, reply included.</summary>
    [Id(3)]
    public int ContextTokens { get; init; }

    /// <summary>min(model max_seq_len, 4096).</summary>
    [Id(4)]
    public int ContextLimit { get; init; }

    [Id(5)]
    public int Trims { get; init; }

    [Id(6)]
    public int Summaries { get; init; }

    /// <summary>The worker holding the KV cache, or null when none is held.</summary>
    [Id(7)]
    public string? CacheWorker { get; init; }

    [Id(8)]
    public int CachedTokens { get; init; }

    /// <summary>Summary of trimmed turns carried in the system prompt, if any.</summary>
    [Id(9)]
    public string? Summary { get; init; }

    /// <summary>
    /// The message id of a turn whose user message is stored but whose reply is not (it is running, or a crash cut
    /// it off); sending that message id again completes it. Null between turns.
    /// </summary>
    [Id(10)]
    public string? PendingMessageId { get; init; }

    /// <summary>Tokens each turn keeps free for its reply, and the most it generates: the settings' reply cap, else the silo's default cap.</summary>
    [Id(11)]
    public int MaxReplyTokens { get; init; }
}
