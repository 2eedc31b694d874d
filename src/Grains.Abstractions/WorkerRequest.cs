namespace LlamaOrleans;

/// <summary>
/// One turn for a model worker: the conversation's cache, how much of it to keep (checked by hash), the
/// tokens that follow, and how to sample the reply.
/// </summary>
[GenerateSerializer]
[Alias("llama.WorkerRequest")]
public sealed record WorkerRequest
{
    [Id(0)]
    public required string CacheId { get; init; }

    /// <summary>Cached tokens to keep; 0 recomputes everything.</summary>
    [Id(1)]
    public int ReuseTokens { get; init; }

    /// <summary>Hash of those tokens (<c>TokenHash</c>), so a stale handle is detected rather than trusted.</summary>
    [Id(2)]
    public ulong ReuseHash { get; init; }

    /// <summary>Prompt tokens after the reused prefix.</summary>
    [Id(3)]
    public required int[] Tokens { get; init; }

    [Id(4)]
    public float Temperature { get; init; }

    [Id(5)]
    public float TopP { get; init; } = 0.9f;

    /// <summary>Most tokens of the reply (the engine's <c>MaxGenLen</c>).</summary>
    [Id(6)]
    public int MaxReplyTokens { get; init; }

    [Id(7)]
    public ulong Seed { get; init; }

    /// <summary>
    /// Context shift before reuse: drop <see cref="ShiftCount"/> cached tokens from position <see cref="ShiftFrom"/>
    /// and move the rest down; <see cref="ReuseTokens"/> and <see cref="ReuseHash"/> then refer to the shifted cache.
    /// </summary>
    [Id(8)]
    public int ShiftFrom { get; init; }

    [Id(9)]
    public int ShiftCount { get; init; }

    /// <summary>Return each generated token's log-probability (<see cref="WorkerEvent.Logprobs"/>).</summary>
    [Id(10)]
    public bool Logprobs { get; init; }

    /// <summary>With <see cref="Logprobs"/>: how many of the most likely tokens to return at each step (0 to 20).</summary>
    [Id(11)]
    public int TopLogprobs { get; init; }

    /// <summary>
    /// Stop sequences: the turn ends (stops generating) at the token whose text completes one of them; the result's
    /// text still contains it, for the caller to cut. Null or empty: none.
    /// </summary>
    [Id(12)]
    public string[]? Stop { get; init; }
}
