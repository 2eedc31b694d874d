namespace LlamaOrleans;

/// <summary>A conversation as the tenant's index knows it.</summary>
[GenerateSerializer]
[Alias("llama.ConversationEntry")]
public sealed record ConversationEntry(
    [property: Id(0)] string ConversationId,
    [property: Id(1)] DateTimeOffset CreatedAt);
