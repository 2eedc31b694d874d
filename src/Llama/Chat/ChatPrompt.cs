namespace Llama.Chat;

/// <summary>A dialog encoded as Meta's Llama 2 chat prompt.</summary>
public sealed class ChatPrompt
{
    public ChatPrompt(IReadOnlyList<int> ids, bool hasSpecialTags)
    {
        ArgumentNullException.ThrowIfNull(ids);
        Ids = ids;
        HasSpecialTags = hasSpecialTags;
    }

    /// <summary>The prompt tokens to generate from.</summary>
    public IReadOnlyList<int> Ids { get; }

    /// <summary>
    /// Whether a message contains [INST], [/INST], &lt;&lt;SYS&gt;&gt; or &lt;&lt;/SYS&gt;&gt;. Meta still
    /// generates, but replaces the reply with <see cref="ChatFormat.UnsafeReply"/>.
    /// </summary>
    public bool HasSpecialTags { get; }

    /// <summary>The assistant's reply content as Meta returns it: the decoded text, or <see cref="ChatFormat.UnsafeReply"/> when the dialog had special tags.</summary>
    public string ReplyContent(string decodedReply)
    {
        ArgumentNullException.ThrowIfNull(decodedReply);
        return HasSpecialTags ? ChatFormat.UnsafeReply : decodedReply;
    }
}
