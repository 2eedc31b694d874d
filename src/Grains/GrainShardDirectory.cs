using Llama.Parallel;
using Microsoft.Extensions.Logging;

namespace LlamaOrleans.Grains;

/// <summary>
/// The shards of a split model as the model registry places them: resolved once and kept while calls succeed; a failed
/// call is reported to the registry (which places that rank on another silo that has it loaded) and the next step
/// resolves again.
/// </summary>
internal sealed class GrainShardDirectory<TShard>(IGrainFactory grains, string model, Func<IShardWorkerGrain, TShard> wrap, ILogger logger)
    : IShardDirectory<TShard>
{
    private (IReadOnlyList<TShard> Shards, string[] Silos)? _resolved;

    private IModelRegistryGrain Registry => grains.GetGrain<IModelRegistryGrain>(0);

    public async Task<IReadOnlyList<TShard>> ResolveAsync(CancellationToken cancellationToken = default)
    {
        if (_resolved is { } resolved)
        {
            return resolved.Shards;
        }

        var status = await Registry.GetModel(model).WaitAsync(cancellationToken);
        if (!status.Ready)
        {
            throw new ConversationException(ConversationErrorCode.Unavailable, status.Problem ?? $"Model '{model}' is not ready.");
        }

        var silos = status.Shards.Select(s => s.Silo!).ToArray();
        var shards = status.Shards.Select(s => wrap(grains.GetGrain<IShardWorkerGrain>(ShardWorkerKey.For(model, s.Rank, s.Silo!)))).ToArray();
        logger.LogInformation("Model {Model}: ranks placed on {Silos}", model, string.Join(", ", silos.Select((s, r) => $"{r}@{s}")));
        _resolved = (shards, silos);
        return shards;
    }

    public async Task ReportLostAsync(int index, Exception error)
    {
        if (_resolved is not { } resolved)
        {
            return;
        }

        _resolved = null;
        logger.LogWarning(error, "Model {Model}: rank {Rank} on {Silo} failed; it will be placed again", model, index, resolved.Silos[index]);
        try
        {
            await Registry.ReportShardLost(model, index, resolved.Silos[index]);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Model {Model}: reporting the loss of rank {Rank} failed", model, index);
        }
    }
}
