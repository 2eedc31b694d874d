using System.Net;

namespace Llama.Bench.Cluster;

/// <summary>
/// A failure the HTTP API reported: an error status before the stream began, an error event in the stream, or a stream
/// that ended without its final <c>conversation.turn</c> event. <see cref="Retryable"/> says whether sending the same
/// message id again may succeed.
/// </summary>
internal sealed class HttpTurnException(string message, HttpStatusCode? status, bool retryable, TimeSpan? retryAfter = null)
    : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;

    public bool Retryable { get; } = retryable;

    /// <summary>The server's <c>Retry-After</c>, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
