namespace LlamaOrleans;

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
