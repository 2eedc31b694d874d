namespace LlamaOrleans;

/// <summary>Where the registry runs one rank or stage of a model, and which other live silos could take it over.</summary>
[GenerateSerializer]
[Alias("llama.ShardPlacement")]
public sealed record ShardPlacement
{
    [Id(0)]
    public int Rank { get; init; }

    /// <summary>The silo running it; null when no live silo has it loaded.</summary>
    [Id(1)]
    public string? Silo { get; init; }

    /// <summary>Its state on that silo (or, unplaced, the best state any configured silo reports).</summary>
    [Id(2)]
    public ShardState? State { get; init; }

    /// <summary>Every live silo configured with it.</summary>
    [Id(3)]
    public string[] Candidates { get; init; } = [];

    [Id(4)]
    public string? Error { get; init; }
}
