namespace Llama.Chat;

/// <summary>A dialog that Meta's <c>chat_completion</c> rejects; the message is Meta's text verbatim where Meta has one.</summary>
public sealed class ChatFormatException : Exception
{
    public ChatFormatException(string message)
        : base(message)
    {
    }

    public ChatFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
