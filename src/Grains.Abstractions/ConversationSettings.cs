namespace LlamaOrleans;

/// <summary>How a conversation talks to its model: model, system prompt, sampling and context policy.</summary>
[GenerateSerializer]
[Alias("llama.ConversationSettings")]
public sealed record ConversationSettings
{
    /// <summary>Name of a model hosted by the cluster.</summary>
    [Id(0)]
    public string Model { get; init; } = "demo";

    [Id(1)]
    public string? SystemPrompt { get; init; }

    /// <summary>0 = greedy; otherwise sampling temperature (Meta's default 0.6).</summary>
    [Id(2)]
    public float Temperature { get; init; } = 0.6f;

    [Id(3)]
    public float TopP { get; init; } = 0.9f;

    /// <summary>
    /// Most tokens per reply (a turn's <see cref="UserMessage.MaxReplyTokens"/> overrides it); null = the silo's default
    /// cap, <c>Llama:Conversations:DefaultMaxReplyTokens</c> (256) but at most an eighth of the model's context.
    /// </summary>
    [Id(4)]
    public int? MaxReplyTokens { get; init; }

    /// <summary>Makes sampling reproducible (each turn derives its own seed from it).</summary>
    [Id(5)]
    public ulong? Seed { get; init; }

    [Id(6)]
    public ContextPolicy ContextPolicy { get; init; } = ContextPolicy.Trim;

    /// <summary>
    /// When trimming drops the oldest turns, keep the cached keys and values of the turns that stay and shift them
    /// to their new positions (llama.cpp's context shift) instead of recomputing them. Faster on long chats, but
    /// approximate: the kept turns' cache still reflects the dropped ones. Off: kept turns are recomputed exactly.
    /// </summary>
    [Id(7)]
    public bool ContextShift { get; init; }

    /// <summary>
    /// Continue each turn from the reply's tokens as the model generated them, instead of re-encoding the reply's text
    /// as Meta's chat format does. The model sees the same text either way, but a sampled reply is often not its
    /// text's usual encoding, and then Meta's format makes the next turn recompute the reply and all after it. Off:
    /// prompts are exactly Meta's.
    /// </summary>
    [Id(8)]
    public bool KeepReplyTokens { get; init; }
}
