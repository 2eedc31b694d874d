namespace LlamaOrleans;

/// <summary>
/// A user's message with the client's id for it: sending the same id again returns the recorded reply
/// instead of generating twice.
/// </summary>
[GenerateSerializer]
[Alias("llama.UserMessage")]
public sealed record UserMessage(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string Content);
