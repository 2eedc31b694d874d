namespace LlamaOrleans;

/// <summary>
/// What one silo hosts, asked by a new activation of the model registry so that it answers at once instead of after
/// every silo's next registration. Keyed "hosted@{silo}" (<see cref="For"/>) and placed only on that silo.
/// </summary>
[Alias("llama.IHostedModelsGrain")]
public interface IHostedModelsGrain : IGrainWithStringKey
{
    [Alias("Describe")]
    Task<HostedModels> Describe();

    /// <summary>The key of <paramref name="silo"/>'s grain; shaped as a <see cref="ModelWorkerKey"/>, so the same placement pins it.</summary>
    static string For(string silo) => ModelWorkerKey.For("hosted", silo);
}
