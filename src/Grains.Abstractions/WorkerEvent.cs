namespace LlamaOrleans;

/// <summary>A generated token with its text, the end of the turn, or a cache miss.</summary>
[GenerateSerializer]
[Alias("llama.WorkerEvent")]
public sealed record WorkerEvent
{
    [Id(0)]
    public int Token { get; init; }

    /// <summary>Text that became final with this token (may be empty while bytes of a character are pending).</summary>
    [Id(1)]
    public string Text { get; init; } = string.Empty;

    [Id(2)]
    public WorkerResult? Completed { get; init; }

    [Id(3)]
    public bool CacheMiss { get; init; }
}
