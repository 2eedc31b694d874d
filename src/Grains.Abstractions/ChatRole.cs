namespace LlamaOrleans;

/// <summary>Who wrote a message of a conversation (Meta's roles).</summary>
[GenerateSerializer]
[Alias("llama.ChatRole")]
public enum ChatRole
{
    System,
    User,
    Assistant,
}
