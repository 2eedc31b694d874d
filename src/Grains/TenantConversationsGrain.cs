using Orleans.Concurrency;
using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>A tenant's index of its conversations, persisted in grain storage.</summary>
public sealed class TenantConversationsGrain(
    [PersistentState("conversation-index", StorageNames.Conversations)] IPersistentState<TenantConversationsState> state) : Grain, ITenantConversationsGrain
{
    public async Task Add(string conversationId, DateTimeOffset createdAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        if (state.State.Conversations.Exists(c => c.ConversationId == conversationId))
        {
            return;
        }

        state.State.Conversations.Add(new ConversationEntry(conversationId, createdAt));
        await state.WriteStateAsync();
    }

    public async Task Remove(string conversationId)
    {
        if (state.State.Conversations.RemoveAll(c => c.ConversationId == conversationId) > 0)
        {
            await state.WriteStateAsync();
        }
    }

    [ReadOnly]
    public Task<ConversationPage> List(string? after, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var all = state.State.Conversations;
        var start = after is null ? 0 : all.FindIndex(c => c.ConversationId == after) + 1;
        if (after is not null && start == 0)
        {
            throw new ConversationException(ConversationErrorCode.InvalidRequest, $"No conversation '{after}' to list after.");
        }

        var page = all.Skip(start).Take(limit).ToArray();
        return Task.FromResult(new ConversationPage(page, start + page.Length < all.Count));
    }
}
