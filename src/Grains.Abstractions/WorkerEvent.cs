namespace LlamaOrleans;

/// <summary>Generated tokens with their text, the end of the turn, or a cache miss.</summary>
[GenerateSerializer]
[Alias("llama.WorkerEvent")]
public sealed record WorkerEvent
{
    /// <summary>How many generated tokens this event covers (several when they came faster than the stream interval).</summary>
    [Id(0)]
    public int TokenCount { get; init; }

    /// <summary>Text that became final with these tokens (may be empty while bytes of a character are pending).</summary>
    [Id(1)]
    public string Text { get; init; } = string.Empty;

    [Id(2)]
    public WorkerResult? Completed { get; init; }

    [Id(3)]
    public bool CacheMiss { get; init; }

    /// <summary>
    /// When the request asked for log-probabilities: one entry per token of <see cref="TokenCount"/>, whose texts
    /// concatenate to <see cref="Text"/>; else null.
    /// </summary>
    [Id(4)]
    public LogprobToken[]? Logprobs { get; init; }
}
