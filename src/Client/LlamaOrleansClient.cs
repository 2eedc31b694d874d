using Microsoft.Extensions.AI;

namespace LlamaOrleans.Client;

/// <summary>
/// The entry point for applications: conversations of a Llama cluster by id. Usually resolved from DI after
/// <c>AddLlamaOrleansClient</c>; any <see cref="IGrainFactory"/> works (an <see cref="IClusterClient"/>, or a silo's own).
/// </summary>
public sealed class LlamaOrleansClient
{
    private readonly IGrainFactory _grains;

    public LlamaOrleansClient(IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        _grains = grains;
    }

    /// <summary>A handle on the conversation <paramref name="conversationId"/>; it is created by its first configuration.</summary>
    public LlamaConversation Conversation(string conversationId)
    {
        ValidateConversationId(conversationId);
        return new LlamaConversation(conversationId, _grains.GetGrain<IConversationGrain>(conversationId));
    }

    /// <summary>A handle on a conversation with a new random id.</summary>
    public LlamaConversation NewConversation() => Conversation(NewConversationId());

    /// <summary>An <see cref="IChatClient"/> over the conversation <paramref name="conversationId"/> (see <see cref="LlamaOrleansChatClient"/>).</summary>
    public LlamaOrleansChatClient AsChatClient(string conversationId) => new(this, conversationId);

    public static string NewConversationId() => Guid.NewGuid().ToString("N");

    internal static void ValidateConversationId(string conversationId, string parameterName = "conversationId")
    {
        ArgumentNullException.ThrowIfNull(conversationId, parameterName);
        if (string.IsNullOrWhiteSpace(conversationId) || conversationId.Any(char.IsControl))
        {
            throw new ArgumentException("A conversation id must be non-empty text without control characters.", parameterName);
        }
    }
}
