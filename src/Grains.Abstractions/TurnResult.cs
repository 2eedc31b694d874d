namespace LlamaOrleans;

/// <summary>A completed turn: the reply and what it cost.</summary>
[GenerateSerializer]
[Alias("llama.TurnResult")]
public sealed record TurnResult
{
    [Id(0)]
    public required string MessageId { get; init; }

    [Id(1)]
    public required string Reply { get; init; }

    /// <summary>"stop" (the model ended its reply) or "length" (the reply budget ran out).</summary>
    [Id(2)]
    public required string FinishReason { get; init; }

    /// <summary>Tokens of the prompt the model saw.</summary>
    [Id(3)]
    public int PromptTokens { get; init; }

    [Id(4)]
    public int CompletionTokens { get; init; }

    /// <summary>Prompt tokens actually computed this turn; the rest came from the KV cache.</summary>
    [Id(5)]
    public int PrefilledTokens { get; init; }

    /// <summary>True when the worker still held this conversation's cache.</summary>
    [Id(6)]
    public bool CacheHit { get; init; }

    /// <summary>True when this is a recorded reply returned for a repeated message id.</summary>
    [Id(7)]
    public bool Replayed { get; init; }
}
