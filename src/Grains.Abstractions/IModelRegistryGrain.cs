namespace LlamaOrleans;

/// <summary>
/// Which silos host which models, and how many conversations each worker serves, so new conversations
/// spread across hosting silos by load. Silos register themselves at start-up and again periodically.
/// </summary>
[Alias("llama.IModelRegistryGrain")]
public interface IModelRegistryGrain : IGrainWithIntegerKey
{
    [Alias("Register")]
    Task Register(string silo, string[] models);

    /// <summary>The key of the least loaded live worker for <paramref name="model"/>, avoiding <paramref name="exclude"/>.</summary>
    [Alias("AssignWorker")]
    Task<string> AssignWorker(string model, string? exclude = null);

    /// <summary>A conversation stopped using the worker (deleted, or moved after a failure).</summary>
    [Alias("ReleaseWorker")]
    Task ReleaseWorker(string workerKey);

    /// <summary>Live silos hosting <paramref name="model"/>.</summary>
    [Alias("GetHosts")]
    Task<string[]> GetHosts(string model);
}
