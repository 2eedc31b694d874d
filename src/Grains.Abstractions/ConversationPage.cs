namespace LlamaOrleans;

/// <summary>A page of a tenant's conversation index.</summary>
[GenerateSerializer]
[Alias("llama.ConversationPage")]
public sealed record ConversationPage(
    [property: Id(0)] IReadOnlyList<ConversationEntry> Conversations,
    [property: Id(1)] bool HasMore);
