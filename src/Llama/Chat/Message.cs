namespace Llama.Chat;

/// <summary>One message of a dialog.</summary>
public sealed record Message(Role Role, string Content)
{
    public string Content
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Content));
    } = Content ?? throw new ArgumentNullException(nameof(Content));
}
