using Orleans.Concurrency;

namespace LlamaOrleans.Grains;

/// <summary>Answers what this silo's <see cref="ModelHost"/> hosts; it lives on the silo named in its key.</summary>
[Reentrant]
[ModelWorkerPlacement]
public sealed class HostedModelsGrain(ModelHost host) : Grain, IHostedModelsGrain
{
    public Task<HostedModels> Describe() => Task.FromResult(host.Describe());
}
