namespace LlamaOrleans.Http.Generation;

/// <summary>
/// Runs a stateless request's turn on a model worker of the cluster. The host provides it (the silo, over the grains'
/// worker client, which owns assignment, retry and failover for conversations and stateless requests alike).
/// </summary>
public interface IStatelessTurns
{
    /// <summary>
    /// Streams the reply to <paramref name="request"/> (its tokens the whole prompt) from an assigned worker of
    /// <paramref name="model"/>, under the request's own cache id, which is dropped on the worker when the stream ends.
    /// </summary>
    /// <exception cref="ConversationException">The model is unknown or unavailable, or the worker was lost during the reply.</exception>
    IAsyncEnumerable<WorkerEvent> Run(string model, WorkerRequest request, CancellationToken cancellationToken);
}
