namespace LlamaOrleans;

/// <summary>A tenant's usage of one model through one API key on one UTC day.</summary>
[GenerateSerializer]
[Alias("llama.UsageRecord")]
public sealed record UsageRecord
{
    [Id(0)]
    public required DateOnly Day { get; init; }

    /// <summary>The API key's name (never the key itself).</summary>
    [Id(1)]
    public required string Key { get; init; }

    [Id(2)]
    public required string Model { get; init; }

    [Id(3)]
    public long Requests { get; init; }

    [Id(4)]
    public long PromptTokens { get; init; }

    [Id(5)]
    public long CompletionTokens { get; init; }
}
