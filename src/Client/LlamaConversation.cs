using System.Runtime.CompilerServices;

namespace LlamaOrleans.Client;

/// <summary>
/// One conversation of the cluster. The conversation keeps its dialog and settings server-side; this handle
/// holds only its id, so it is cheap and may be shared. Refusals arrive as <see cref="ConversationException"/>.
/// </summary>
/// <remarks>
/// Calls that take a token but not a reply (<see cref="ConfigureAsync"/>, <see cref="ResetAsync"/>,
/// <see cref="DeleteAsync"/>, the reads) stop waiting when it is cancelled; the grain may still complete them.
/// Turns are cancelled on the grain, which then leaves the conversation as it was.
/// </remarks>
public sealed class LlamaConversation
{
    private readonly IConversationGrain _grain;

    internal LlamaConversation(string id, IConversationGrain grain)
    {
        Id = id;
        _grain = grain;
    }

    public string Id { get; }

    /// <summary>Creates the conversation, or replaces its settings.</summary>
    public Task<ConversationStatus> ConfigureAsync(ConversationSettings settings, CancellationToken cancellationToken = default)
    {
        Validate(settings);
        return _grain.Configure(settings).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the current settings (to the defaults when the conversation does not
    /// exist yet) and configures the conversation only when that creates it or changes something.
    /// </summary>
    public async Task<ConversationStatus> UpdateSettingsAsync(Func<ConversationSettings, ConversationSettings> change,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        ConversationStatus? status;
        try
        {
            status = await StatusAsync(cancellationToken);
        }
        catch (ConversationException e) when (e.Code == ConversationErrorCode.NotFound)
        {
            status = null;
        }

        var current = status?.Settings ?? new ConversationSettings();
        var wanted = change(current) ?? throw new InvalidOperationException("The settings change returned null.");
        return status is not null && wanted == current ? status : await ConfigureAsync(wanted, cancellationToken);
    }

    /// <summary>
    /// Sends <paramref name="text"/> and returns the whole reply; a conversation that does not exist yet is created
    /// with the default <see cref="ConversationSettings"/> first (as <see cref="LlamaOrleansClient.AsChatClient(string)"/> does). Sending again with the same
    /// <paramref name="messageId"/> (e.g. a retry after a lost connection) returns the recorded reply instead of a
    /// second turn; without one, a new id is generated.
    /// </summary>
    public Task<TurnResult> SendAsync(string text, string? messageId = null, CancellationToken cancellationToken = default) =>
        Send(Message(text, messageId), cancellationToken);

    /// <summary>
    /// Like <see cref="SendAsync"/>, streaming the reply as it is generated. The last delta always carries the
    /// completed turn (<see cref="ReplyDelta.Completed"/>); earlier ones carry text only.
    /// </summary>
    public IAsyncEnumerable<ReplyDelta> StreamAsync(string text, string? messageId = null, CancellationToken cancellationToken = default) =>
        Stream(Message(text, messageId), cancellationToken);

    /// <summary>The full transcript, also the messages no longer in the model's view.</summary>
    public Task<IReadOnlyList<TranscriptEntry>> HistoryAsync(CancellationToken cancellationToken = default) =>
        _grain.GetHistory().WaitAsync(cancellationToken);

    public Task<ConversationStatus> StatusAsync(CancellationToken cancellationToken = default) =>
        _grain.GetStatus().WaitAsync(cancellationToken);

    /// <summary>Forgets the dialog; the settings stay.</summary>
    public Task ResetAsync(CancellationToken cancellationToken = default) => _grain.Reset().WaitAsync(cancellationToken);

    /// <summary>Deletes the conversation and its stored state.</summary>
    public Task DeleteAsync(CancellationToken cancellationToken = default) => _grain.Delete().WaitAsync(cancellationToken);

    /// <summary>A new unique message id.</summary>
    public static string NewMessageId() => Guid.NewGuid().ToString("N");

    private async Task<TurnResult> Send(UserMessage message, CancellationToken cancellationToken)
    {
        try
        {
            return await _grain.Send(message, cancellationToken);
        }
        catch (ConversationException e) when (e.Code == ConversationErrorCode.NotFound)
        {
            await CreateAsync(cancellationToken);
            return await _grain.Send(message, cancellationToken);
        }
    }

    /// <summary>Creates the conversation with the default settings, unless someone created it meanwhile.</summary>
    private Task CreateAsync(CancellationToken cancellationToken) => UpdateSettingsAsync(settings => settings, cancellationToken);

    private async IAsyncEnumerable<ReplyDelta> Stream(UserMessage message, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var completed = false;
        await foreach (var delta in StreamCreating(message, cancellationToken))
        {
            if (completed)
            {
                throw new InvalidOperationException($"Conversation '{Id}' sent reply text after completing the turn.");
            }

            completed = delta.Completed is not null;
            yield return delta;
        }

        if (!completed)
        {
            throw new InvalidOperationException($"Conversation '{Id}' ended the reply stream without completing the turn.");
        }
    }

    /// <summary>The grain's reply stream; a conversation that does not exist yet is created with the defaults first.</summary>
    private async IAsyncEnumerable<ReplyDelta> StreamCreating(UserMessage message, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var deltas = _grain.SendStreaming(message, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            bool any;
            try
            {
                any = await deltas.MoveNextAsync();
            }
            catch (ConversationException e) when (e.Code == ConversationErrorCode.NotFound)
            {
                // Refused before any text: nothing was sent, so the turn starts over on the created conversation.
                await deltas.DisposeAsync();
                await CreateAsync(cancellationToken);
                deltas = _grain.SendStreaming(message, cancellationToken).GetAsyncEnumerator(cancellationToken);
                any = await deltas.MoveNextAsync();
            }

            while (any)
            {
                yield return deltas.Current;
                any = await deltas.MoveNextAsync();
            }
        }
        finally
        {
            await deltas.DisposeAsync();
        }
    }

    private static UserMessage Message(string text, string? messageId)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("The message is empty.", nameof(text));
        }

        if (messageId is not null && (string.IsNullOrWhiteSpace(messageId) || messageId.Any(char.IsControl)))
        {
            throw new ArgumentException("A message id must be non-empty text without control characters (or null for a new one).", nameof(messageId));
        }

        return new UserMessage(messageId ?? NewMessageId(), text);
    }

    private static void Validate(ConversationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrWhiteSpace(settings.Model))
        {
            throw new ArgumentException("The settings name no model.", nameof(settings));
        }

        // The silo checks the same rules (and the reply cap against the model's context); failing here saves the call.
        if ((SamplingRules.Temperature(settings.Temperature) ?? SamplingRules.TopP(settings.TopP)
            ?? SamplingRules.MaxReplyTokens(settings.MaxReplyTokens, nameof(settings.MaxReplyTokens))) is { } problem)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), problem);
        }
    }
}
