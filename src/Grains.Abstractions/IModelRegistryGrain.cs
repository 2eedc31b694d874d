namespace LlamaOrleans;

/// <summary>
/// Which silos host which models, and how many conversations each worker serves, so new conversations
/// spread across hosting silos by load. Silos register themselves at start-up and again periodically.
/// </summary>
[Alias("llama.IModelRegistryGrain")]
public interface IModelRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// What <paramref name="silo"/> hosts now: its whole models, and the ranks or stages of split models it is configured
    /// with and their load state (these replace its earlier offers when it has any).
    /// </summary>
    [Alias("Register")]
    Task Register(string silo, HostedModels hosted);

    /// <summary>
    /// The key of the least loaded live worker for <paramref name="model"/>, avoiding <paramref name="exclude"/>. A split
    /// model has one worker, its coordinator on the silo of rank (or stage) 0, once every rank is placed and loaded.
    /// </summary>
    [Alias("AssignWorker")]
    Task<string> AssignWorker(string model, string? exclude = null);

    /// <summary>A conversation stopped using the worker (deleted, or moved after a failure).</summary>
    [Alias("ReleaseWorker")]
    Task ReleaseWorker(string workerKey);

    /// <summary>Live silos hosting <paramref name="model"/>.</summary>
    [Alias("GetHosts")]
    Task<string[]> GetHosts(string model);

    /// <summary>Where each rank or stage of a split model runs; places those whose silo is gone on another configured silo.</summary>
    [Alias("GetModel")]
    Task<ModelStatus> GetModel(string model);

    /// <summary>Every model the registry knows, whole or split, with where it runs.</summary>
    [Alias("GetModels")]
    Task<ModelStatus[]> GetModels();

    /// <summary>A call to a rank failed: place it elsewhere when another live silo has it loaded.</summary>
    [Alias("ReportShardLost")]
    Task ReportShardLost(string model, int rank, string silo);
}
