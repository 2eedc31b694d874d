namespace LlamaOrleans;

/// <summary>A rank (or stage) of a model that a silo is configured with, and whether it has loaded it.</summary>
[GenerateSerializer]
[Alias("llama.ShardOffer")]
public sealed record ShardOffer
{
    [Id(0)]
    public required string Model { get; init; }

    [Id(1)]
    public required ModelParallelism Parallel { get; init; }

    [Id(2)]
    public int Rank { get; init; }

    /// <summary>Ranks (or stages) the model has in all.</summary>
    [Id(3)]
    public int Count { get; init; }

    [Id(4)]
    public ShardState State { get; init; }

    /// <summary>Why loading failed.</summary>
    [Id(5)]
    public string? Error { get; init; }
}
