namespace LlamaOrleans;

/// <summary>The end of a worker turn: what was generated and what the cache now holds.</summary>
[GenerateSerializer]
[Alias("llama.WorkerResult")]
public sealed record WorkerResult
{
    /// <summary>Reply tokens, without the stop token.</summary>
    [Id(0)]
    public required int[] Tokens { get; init; }

    [Id(1)]
    public required string Text { get; init; }

    /// <summary>"stop" or "length".</summary>
    [Id(2)]
    public required string FinishReason { get; init; }

    /// <summary>Prompt tokens computed this turn (the rest came from the cache).</summary>
    [Id(3)]
    public int PrefilledTokens { get; init; }

    /// <summary>Tokens the cache holds after the turn: the prompt and the reply but its last token.</summary>
    [Id(4)]
    public int CachedTokens { get; init; }

    [Id(5)]
    public ulong CachedHash { get; init; }
}
