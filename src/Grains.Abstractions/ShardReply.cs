namespace LlamaOrleans;

/// <summary>
/// A shard's answer: float32 activations or logits as little-endian bytes, its KV pool's identity, and the layout of
/// that pool (which the coordinator checks against its own).
/// </summary>
[GenerateSerializer]
[Alias("llama.ShardReply")]
public sealed record ShardReply
{
    [Id(0)]
    public Guid Pool { get; init; }

    [Id(1)]
    public byte[] Data { get; init; } = [];

    [Id(2)]
    public int MaxSeqLen { get; init; }

    [Id(3)]
    public int MaxBatchSize { get; init; }

    [Id(4)]
    public int KvBlocks { get; init; }

    [Id(5)]
    public int KvBlockSize { get; init; }

    /// <summary>The KV pool's element type, as libtorch numbers it.</summary>
    [Id(6)]
    public int KvDType { get; init; }
}
