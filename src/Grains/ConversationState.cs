namespace LlamaOrleans.Grains;

/// <summary>What a conversation persists: settings, the full transcript, its KV handle and recorded replies.</summary>
[GenerateSerializer]
[Alias("llama.ConversationState")]
public sealed class ConversationState
{
    [Id(0)]
    public bool Created { get; set; }

    [Id(1)]
    public ConversationSettings Settings { get; set; } = new();

    /// <summary>Every message ever exchanged; <see cref="TranscriptEntry.InContext"/> marks the model's view.</summary>
    [Id(2)]
    public List<TranscriptEntry> Transcript { get; set; } = [];

    /// <summary>Model-written summary of trimmed turns, carried in the system prompt (Summarize policy).</summary>
    [Id(3)]
    public string? Summary { get; set; }

    [Id(4)]
    public int Turns { get; set; }

    [Id(5)]
    public int Trims { get; set; }

    [Id(6)]
    public int Summaries { get; set; }

    /// <summary>Replies by client message id, so a repeated id returns the recorded reply.</summary>
    [Id(7)]
    public Dictionary<string, TurnResult> Replies { get; set; } = new(StringComparer.Ordinal);

    [Id(8)]
    public KvHandle? Cache { get; set; }

    [Id(9)]
    public int ContextTokens { get; set; }

    /// <summary>
    /// The turn in progress: its user message is stored before generation starts, so that after a crash the turn is
    /// known and a retry with the same message id redoes it. Null between turns.
    /// </summary>
    [Id(10)]
    public PendingTurn? Pending { get; set; }

    /// <summary>
    /// With <see cref="ConversationSettings.KeepReplyTokens"/>: the last prompt and its reply's tokens as generated,
    /// from which the next turn continues while the dialog in context has not changed otherwise; null when unknown.
    /// </summary>
    [Id(11)]
    public int[]? DialogTokens { get; set; }
}

/// <summary>A user message whose reply is not stored yet.</summary>
[GenerateSerializer]
[Alias("llama.PendingTurn")]
public sealed record PendingTurn(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string Content,
    [property: Id(2)] DateTimeOffset At);

/// <summary>Where this conversation's KV cache lives and exactly which tokens it holds.</summary>
[GenerateSerializer]
[Alias("llama.KvHandle")]
public sealed record KvHandle(
    [property: Id(0)] string Worker,
    [property: Id(1)] string CacheId,
    [property: Id(2)] int[] Tokens,
    [property: Id(3)] ulong Hash);
