namespace LlamaOrleans;

/// <summary>
/// The conversations one tenant created, in creation order, so the tenant can list its own. Keyed by the tenant's name.
/// The conversations themselves live in <see cref="IConversationGrain"/>s; this is only their index.
/// </summary>
[Alias("llama.ITenantConversationsGrain")]
public interface ITenantConversationsGrain : IGrainWithStringKey
{
    [Alias("Add")]
    Task Add(string conversationId, DateTimeOffset createdAt);

    [Alias("Remove")]
    Task Remove(string conversationId);

    /// <summary>Up to <paramref name="limit"/> conversations created after <paramref name="after"/> (or from the first when null).</summary>
    [Alias("List")]
    Task<ConversationPage> List(string? after, int limit);
}
