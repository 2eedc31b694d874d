namespace LlamaOrleans.Grains;

/// <summary>What a tenant's conversation index persists: its conversations in creation order.</summary>
[GenerateSerializer]
[Alias("llama.TenantConversationsState")]
public sealed class TenantConversationsState
{
    [Id(0)]
    public List<ConversationEntry> Conversations { get; set; } = [];
}
