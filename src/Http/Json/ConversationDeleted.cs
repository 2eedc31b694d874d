namespace LlamaOrleans.Http.Json;

/// <summary>The answer of <c>DELETE /v1/conversations/{id}</c>.</summary>
public sealed record ConversationDeleted(string Id)
{
    public string Object => "conversation.deleted";

    public bool Deleted => true;
}
