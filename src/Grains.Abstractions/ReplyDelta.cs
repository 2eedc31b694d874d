namespace LlamaOrleans;

/// <summary>A piece of a streamed reply; the last one carries the completed turn.</summary>
[GenerateSerializer]
[Alias("llama.ReplyDelta")]
public sealed record ReplyDelta(
    [property: Id(0)] string Text,
    [property: Id(1)] TurnResult? Completed = null);
