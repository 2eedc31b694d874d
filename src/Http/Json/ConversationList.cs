namespace LlamaOrleans.Http.Json;

/// <summary>A page of the caller's conversations, oldest first; pass <see cref="LastId"/> as <c>after</c> for the next.</summary>
public sealed record ConversationList(IReadOnlyList<ConversationListItem> Data, bool HasMore, string? FirstId, string? LastId)
{
    public string Object => "list";
}

public sealed record ConversationListItem(string Id, long CreatedAt)
{
    public string Object => "conversation";
}
