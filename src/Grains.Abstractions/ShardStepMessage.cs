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
