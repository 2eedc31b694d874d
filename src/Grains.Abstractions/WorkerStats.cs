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

    [Id(9)]
    public long Preemptions { get; init; }

    /// <summary>Turns waiting for KV memory or a place in the batch.</summary>
    [Id(10)]
    public int QueueLength { get; init; }

    /// <summary>Turns in the running batch.</summary>
    [Id(11)]
    public int ActiveSequences { get; init; }

    [Id(12)]
    public int KvBlocksUsed { get; init; }

    [Id(13)]
    public int KvBlocksFree { get; init; }

    /// <summary>Positions per KV block.</summary>
    [Id(14)]
    public int KvBlockSize { get; init; }

    /// <summary>Bytes of one position's keys and values over all layers.</summary>
    [Id(15)]
    public long KvBytesPerToken { get; init; }

    /// <summary>Positions the caches hold (blocks shared by several caches count once per cache).</summary>
    [Id(16)]
    public long TokensHeld { get; init; }

    /// <summary>Prompt tokens served from blocks another cache had computed (prefix sharing).</summary>
    [Id(17)]
    public long PrefixHitTokens { get; init; }

    [Id(18)]
    public long DecodeSteps { get; init; }
}
