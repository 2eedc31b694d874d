namespace LlamaOrleans;

/// <summary>A model worker's counters since it started.</summary>
[GenerateSerializer]
[Alias("llama.WorkerStats")]
public sealed record WorkerStats
{
    [Id(0)]
    public required string Model { get; init; }

    [Id(1)]
    public required string Silo { get; init; }

    [Id(2)]
    public long Turns { get; init; }

    [Id(3)]
    public long PrefilledTokens { get; init; }

    [Id(4)]
    public long GeneratedTokens { get; init; }

    [Id(5)]
    public long CacheHits { get; init; }

    [Id(6)]
    public long CacheMisses { get; init; }

    [Id(7)]
    public long Evictions { get; init; }

    [Id(8)]
    public int CachedConversations { get; init; }
}
