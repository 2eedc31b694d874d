using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace LlamaOrleans.Client;

/// <summary>
/// A Microsoft.Extensions.AI <see cref="IChatClient"/> over one Llama conversation.
/// </summary>
/// <remarks>
/// <para>
/// The conversation keeps the dialog server-side, so each call sends only the newest message of
/// <c>messages</c>, which must be a user message with text; earlier user and assistant messages are taken to
/// be the ones the conversation already holds (responses carry <see cref="ChatResponse.ConversationId"/> to say
/// so). The user message's <see cref="AIChatMessage.MessageId"/>, when set, is the turn's message id, so
/// repeating a call with the same message returns the recorded reply rather than a second turn.
/// </para>
/// <para>
/// Settings: system messages in <c>messages</c> and <see cref="ChatOptions.Instructions"/> become the system
/// prompt (joined by blank lines); <see cref="ChatOptions.ModelId"/>, <see cref="ChatOptions.Temperature"/>,
/// <see cref="ChatOptions.TopP"/>, <see cref="ChatOptions.MaxOutputTokens"/> and <see cref="ChatOptions.Seed"/>
/// (its 64 bits, read unsigned) map to <see cref="ConversationSettings"/>. What a call leaves unset keeps the
/// conversation's current value, and the conversation is reconfigured only when something differs. Other
/// options (tools, stop sequences, penalties, response formats) are not supported by the model and are ignored.
/// </para>
/// <para>
/// <see cref="ChatOptions.ConversationId"/>, when set, picks the conversation; otherwise it is the one this
/// client was made for.
/// </para>
/// </remarks>
public sealed class LlamaOrleansChatClient : IChatClient
{
    public const string ProviderName = "llama-orleans";

    private static readonly ChatClientMetadata Metadata = new(ProviderName);
    private readonly LlamaOrleansClient _client;

    public LlamaOrleansChatClient(LlamaOrleansClient client, string conversationId)
    {
        ArgumentNullException.ThrowIfNull(client);
        LlamaOrleansClient.ValidateConversationId(conversationId);
        _client = client;
        ConversationId = conversationId;
    }

    /// <summary>The conversation used when <see cref="ChatOptions.ConversationId"/> names none.</summary>
    public string ConversationId { get; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AIChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var turn = Prepare(messages, options);
        var status = await turn.Conversation.UpdateSettingsAsync(turn.ApplyTo, cancellationToken);
        var result = await turn.Conversation.SendAsync(turn.Text, turn.MessageId, cancellationToken);
        return new ChatResponse(new AIChatMessage(AIChatRole.Assistant, result.Reply))
        {
            ConversationId = turn.Conversation.Id,
            ResponseId = result.MessageId,
            ModelId = status.Settings.Model,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = FinishReason(result.FinishReason),
            Usage = Usage(result),
            RawRepresentation = result,
        };
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AIChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Stream(Prepare(messages, options), cancellationToken);

    /// <summary>Offers <see cref="ChatClientMetadata"/>, the <see cref="LlamaOrleansClient"/> and this client itself.</summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? Metadata
            : serviceType == typeof(LlamaOrleansClient) ? _client
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Nothing to release: the cluster connection belongs to the host.</summary>
    public void Dispose()
    {
    }

    /// <summary>Maps a turn's finish reason ("stop", "length") to <see cref="ChatFinishReason"/>.</summary>
    public static ChatFinishReason? FinishReason(string? reason) => reason switch
    {
        "stop" => ChatFinishReason.Stop,
        "length" => ChatFinishReason.Length,
        null or "" => null,
        _ => new ChatFinishReason(reason),
    };

    /// <summary>A turn's token counts; cached input is the part of the prompt the KV cache already held.</summary>
    public static UsageDetails Usage(TurnResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new UsageDetails
        {
            InputTokenCount = result.PromptTokens,
            OutputTokenCount = result.CompletionTokens,
            TotalTokenCount = result.PromptTokens + result.CompletionTokens,
            CachedInputTokenCount = Math.Max(0, result.PromptTokens - result.PrefilledTokens),
        };
    }

    private async IAsyncEnumerable<ChatResponseUpdate> Stream(Turn turn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var status = await turn.Conversation.UpdateSettingsAsync(turn.ApplyTo, cancellationToken);
        await foreach (var delta in turn.Conversation.StreamAsync(turn.Text, turn.MessageId, cancellationToken))
        {
            if (delta.Text.Length == 0 && delta.Completed is null)
            {
                continue;
            }

            var update = new ChatResponseUpdate(AIChatRole.Assistant, delta.Text.Length > 0 ? [new TextContent(delta.Text)] : [])
            {
                ConversationId = turn.Conversation.Id,
                ResponseId = turn.MessageId,
                ModelId = status.Settings.Model,
                CreatedAt = DateTimeOffset.UtcNow,
                RawRepresentation = delta,
            };
            if (delta.Completed is { } result)
            {
                update.FinishReason = FinishReason(result.FinishReason);
                update.Contents.Add(new UsageContent(Usage(result)));
            }

            yield return update;
        }
    }

    private Turn Prepare(IEnumerable<AIChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<AIChatMessage> ?? [.. messages];
        if (list.Count == 0)
        {
            throw new ArgumentException("There is no message to send.", nameof(messages));
        }

        var last = list[^1];
        if (last.Role != AIChatRole.User)
        {
            throw new ArgumentException(
                $"The last message must be the user's new message, not a '{last.Role}' message: the conversation keeps the dialog itself and takes only the newest user message.",
                nameof(messages));
        }

        var text = last.Text;
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("The last user message has no text; only text messages are supported.", nameof(messages));
        }

        var conversationId = options?.ConversationId ?? ConversationId;
        LlamaOrleansClient.ValidateConversationId(conversationId, nameof(options));
        var systemParts = list.Where(m => m.Role == AIChatRole.System).Select(m => m.Text)
            .Append(options?.Instructions).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
        return new Turn(
            _client.Conversation(conversationId),
            text,
            last.MessageId ?? LlamaConversation.NewMessageId(),
            systemParts.Count > 0 ? string.Join("\n\n", systemParts) : null,
            options);
    }

    private sealed record Turn(LlamaConversation Conversation, string Text, string MessageId, string? SystemPrompt, ChatOptions? Options)
    {
        public ConversationSettings ApplyTo(ConversationSettings current) => current with
        {
            Model = Options?.ModelId ?? current.Model,
            SystemPrompt = SystemPrompt ?? current.SystemPrompt,
            Temperature = Options?.Temperature ?? current.Temperature,
            TopP = Options?.TopP ?? current.TopP,
            MaxReplyTokens = Options?.MaxOutputTokens ?? current.MaxReplyTokens,
            Seed = Options?.Seed is { } seed ? unchecked((ulong)seed) : current.Seed,
        };
    }
}
