namespace LlamaOrleans;

/// <summary>One message of a dialog.</summary>
[GenerateSerializer]
[Alias("llama.ChatMessage")]
public sealed record ChatMessage(
    [property: Id(0)] ChatRole Role,
    [property: Id(1)] string Content);
