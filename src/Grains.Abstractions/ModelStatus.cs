namespace LlamaOrleans;

/// <summary>
/// A model as the registry sees it: the silos hosting it whole, or, split across silos, where each rank or stage runs.
/// A split model is ready only when every rank is placed on a live silo that has loaded it.
/// </summary>
[GenerateSerializer]
[Alias("llama.ModelStatus")]
public sealed record ModelStatus
{
    [Id(0)]
    public required string Model { get; init; }

    [Id(1)]
    public ModelParallelism Parallel { get; init; }

    /// <summary>Live silos hosting the whole model (<see cref="ModelParallelism.None"/>).</summary>
    [Id(2)]
    public string[] Hosts { get; init; } = [];

    /// <summary>Each rank or stage, in order (split models).</summary>
    [Id(3)]
    public ShardPlacement[] Shards { get; init; } = [];

    [Id(4)]
    public bool Ready { get; init; }

    /// <summary>Why it is not ready, in words.</summary>
    [Id(5)]
    public string? Problem { get; init; }
}
