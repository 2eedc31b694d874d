namespace Llama.Chat;

/// <summary>Who wrote a chat message, as in Meta's dialog format.</summary>
public enum Role
{
    System,
    User,
    Assistant,
}
