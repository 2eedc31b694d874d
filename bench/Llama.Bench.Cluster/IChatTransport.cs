namespace Llama.Bench.Cluster;

/// <summary>
/// How the bench reaches the cluster's conversations: the HTTP API's <c>/v1/conversations</c> endpoints
/// (<see cref="HttpTransport"/>) or the Orleans client SDK (<see cref="OrleansTransport"/>). Errors come out as
/// exceptions, which <see cref="IsRetryable"/> sorts.
/// </summary>
internal interface IChatTransport : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Creates a conversation and returns its id.</summary>
    Task<string> CreateAsync(ConversationSettingsRequest settings, CancellationToken cancellationToken);

    /// <summary>Streams the reply's text pieces; the last item has <see cref="ReplyPiece.Completed"/> set.</summary>
    IAsyncEnumerable<ReplyPiece> SendAsync(string conversationId, string messageId, string content, CancellationToken cancellationToken);

    /// <summary>The stored transcript's message ids, in order (two per turn).</summary>
    Task<IReadOnlyList<string?>> HistoryAsync(string conversationId, CancellationToken cancellationToken);

    /// <summary>Whether the client should send the same message id again after <paramref name="error"/>.</summary>
    bool IsRetryable(Exception error);

    /// <summary>How long to wait before sending a message again after the retryable <paramref name="error"/>.</summary>
    TimeSpan RetryDelay(Exception error);
}

/// <summary>The settings a bench conversation is created with.</summary>
internal sealed record ConversationSettingsRequest(string Model, string? SystemPrompt, float Temperature, int MaxReplyTokens);

/// <summary>A piece of a streamed reply; <see cref="Completed"/> on the last, with the turn's completion tokens.</summary>
internal sealed record ReplyPiece(string Text, bool Completed, int CompletionTokens);
