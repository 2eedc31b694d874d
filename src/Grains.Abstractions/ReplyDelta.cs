namespace LlamaOrleans;

/// <summary>A piece of a streamed reply; the last one carries the completed turn.</summary>
[GenerateSerializer]
[Alias("llama.ReplyDelta")]
public sealed record ReplyDelta(
    [property: Id(0)] string Text,
    [property: Id(1)] TurnResult? Completed = null)
{
    /// <summary>Tokens generated since the previous delta: what a reader that leaves before the end is metered for.</summary>
    [Id(2)]
    public int Tokens { get; init; }

    /// <summary>The prompt tokens of the turn, computed (or taken from the cache) before its first token.</summary>
    [Id(3)]
    public int PromptTokens { get; init; }
}
