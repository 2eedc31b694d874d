namespace LlamaOrleans;

/// <summary>A turn or request the conversation refuses; <see cref="Code"/> says why, the message says what to do.</summary>
[GenerateSerializer]
[Alias("llama.ConversationException")]
public sealed class ConversationException : Exception
{
    public ConversationException()
    {
    }

    public ConversationException(string message)
        : base(message)
    {
    }

    public ConversationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ConversationException(ConversationErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    [Id(0)]
    public ConversationErrorCode Code { get; init; }
}
