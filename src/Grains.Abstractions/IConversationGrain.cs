namespace LlamaOrleans;

/// <summary>
/// A chat conversation: its dialog, settings and the handle of its KV cache on a model worker. Turns are
/// serialized; a failed or cancelled turn leaves the conversation as it was.
/// </summary>
[Alias("llama.IConversationGrain")]
public interface IConversationGrain : IGrainWithStringKey
{
    /// <summary>Creates the conversation, or changes its settings (model, system prompt, sampling, policy).</summary>
    [Alias("Configure")]
    Task<ConversationStatus> Configure(ConversationSettings settings);

    /// <summary>Sends a user message and returns the whole reply.</summary>
    [Alias("Send")]
    Task<TurnResult> Send(UserMessage message, CancellationToken cancellationToken = default);

    /// <summary>Sends a user message and streams the reply as it is generated; the last delta carries the turn.</summary>
    [Alias("SendStreaming")]
    IAsyncEnumerable<ReplyDelta> SendStreaming(UserMessage message, CancellationToken cancellationToken = default);

    /// <summary>The full transcript, including messages no longer in the model's view.</summary>
    [Alias("GetHistory")]
    Task<IReadOnlyList<TranscriptEntry>> GetHistory();

    [Alias("GetStatus")]
    Task<ConversationStatus> GetStatus();

    /// <summary>Forgets the dialog (settings stay) and drops the KV cache.</summary>
    [Alias("Reset")]
    Task Reset();

    /// <summary>Deletes the conversation and its stored state.</summary>
    [Alias("Delete")]
    Task Delete();
}
