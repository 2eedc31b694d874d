namespace LlamaOrleans.Http.Json;

/// <summary>A conversation's full transcript, including messages no longer in the model's view.</summary>
public sealed record ConversationMessages(IReadOnlyList<ConversationMessage> Data)
{
    public string Object => "list";
}

public sealed record ConversationMessage(string Role, string Content, string? MessageId, long CreatedAt, bool InContext)
{
    public string Object => "conversation.message";
}
