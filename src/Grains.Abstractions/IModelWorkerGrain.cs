namespace LlamaOrleans;

/// <summary>
/// A model loaded on one silo, with the KV caches of the conversations it serves. Keyed
/// "{model}@{silo}" (see <see cref="ModelWorkerKey"/>) and placed only on that silo.
/// </summary>
[Alias("llama.IModelWorkerGrain")]
public interface IModelWorkerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Runs one turn. The request names the cached prefix it reuses; when the worker no longer holds it, the
    /// stream is a single event with <see cref="WorkerEvent.CacheMiss"/> set and the caller re-sends the whole prompt.
    /// </summary>
    [Alias("Generate")]
    IAsyncEnumerable<WorkerEvent> Generate(WorkerRequest request, CancellationToken cancellationToken = default);

    [Alias("GetStats")]
    Task<WorkerStats> GetStats();

    /// <summary>Drops one conversation's cache (e.g. when it is deleted).</summary>
    [Alias("DropCache")]
    Task DropCache(string cacheId);

    /// <summary>Drops every cache this worker holds; later turns recompute.</summary>
    [Alias("DropAllCaches")]
    Task DropAllCaches();
}
