using Llama.Parallel;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>
/// The shards of a split model as the model registry places them: resolved once and kept while calls succeed and their
/// silos are active members of the cluster. A silo that membership no longer lists as active (the registry then
/// places its rank elsewhere) or a failed call (reported to the registry) makes the next step resolve again, so a turn
/// starts on the placement the registry holds rather than on a silo known to be gone.
/// </summary>
internal sealed partial class GrainShardDirectory<TShard>(
    IGrainFactory grains, IClusterMembershipService membership, string model, Func<IShardWorkerGrain, TShard> wrap, ILogger logger)
    : IShardDirectory<TShard>
{
    private (IReadOnlyList<TShard> Shards, string[] Silos, SiloAddress[] Addresses)? _resolved;

    private IModelRegistryGrain Registry => grains.GetGrain<IModelRegistryGrain>(0);

    public async Task<IReadOnlyList<TShard>> ResolveAsync(CancellationToken cancellationToken = default)
    {
        if (_resolved is { } resolved)
        {
            var snapshot = membership.CurrentSnapshot;
            if (resolved.Addresses.All(a => snapshot.GetSiloStatus(a) == SiloStatus.Active))
            {
                return resolved.Shards;
            }

            LogPlacementLeft(logger, model);
            _resolved = null;
        }

        var status = await Registry.GetModel(model).WaitAsync(cancellationToken);
        if (!status.Ready)
        {
            throw new ConversationException(ConversationErrorCode.Unavailable, status.Problem ?? $"Model '{model}' is not ready.");
        }

        var silos = status.Shards.Select(s => s.Silo!).ToArray();
        var shards = status.Shards.Select(s => wrap(grains.GetGrain<IShardWorkerGrain>(ShardWorkerKey.For(model, s.Rank, s.Silo!)))).ToArray();
        LogPlaced(logger, model, string.Join(", ", silos.Select((s, r) => $"{r}@{s}")));
        _resolved = (shards, silos, [.. silos.Select(SiloAddress.FromParsableString)]);
        return shards;
    }

    public async Task ReportLostAsync(int index, Exception error)
    {
        if (_resolved is not { } resolved)
        {
            return;
        }

        _resolved = null;
        LogRankFailed(logger, error, model, index, resolved.Silos[index]);
        try
        {
            await Registry.ReportShardLost(model, index, resolved.Silos[index]);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogReportFailed(logger, e, model, index);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: a silo of its placement left the cluster; asking the registry again")]
    private static partial void LogPlacementLeft(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: ranks placed on {Silos}")]
    private static partial void LogPlaced(ILogger logger, string model, string silos);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: rank {Rank} on {Silo} failed; it will be placed again")]
    private static partial void LogRankFailed(ILogger logger, Exception exception, string model, int rank, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: reporting the loss of rank {Rank} failed")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, string model, int rank);
}
