namespace LlamaOrleans;

/// <summary>One step of a split model's forward as it travels to a shard worker: the packed batch and block operations.</summary>
[GenerateSerializer]
[Alias("llama.ShardStepMessage")]
public sealed record ShardStepMessage
{
    [Id(0)]
    public long Step { get; init; }

    /// <summary>Each sequence's block table.</summary>
    [Id(1)]
    public int[][] Blocks { get; init; } = [];

    [Id(2)]
    public int[] StartPositions { get; init; } = [];

    /// <summary>Each sequence's new tokens.</summary>
    [Id(3)]
    public int[][] Tokens { get; init; } = [];

    /// <summary>Block copies and moves to perform first, in order.</summary>
    [Id(4)]
    public KvOperationMessage[] Operations { get; init; } = [];

    /// <summary>The coordinator driving the shard (a shard that changes coordinator renews its pool identity).</summary>
    [Id(5)]
    public Guid Coordinator { get; init; }
}

/// <summary>A KV block copy (<see cref="Blocks"/> empty: Source → Target) or context-shift move.</summary>
[GenerateSerializer]
[Alias("llama.KvOperationMessage")]
public sealed record KvOperationMessage
{
    [Id(0)]
    public bool Move { get; init; }

    [Id(1)]
    public int Source { get; init; }

    [Id(2)]
    public int Target { get; init; }

    [Id(3)]
    public int[] Blocks { get; init; } = [];

    [Id(4)]
    public int From { get; init; }

    [Id(5)]
    public int To { get; init; }

    [Id(6)]
    public int Length { get; init; }
}

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
