using Llama.Parallel;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>
/// The shards of a split model as the model registry places them. Each turn starts by confirming the placement with
/// the registry (<see cref="ConfirmAsync"/>), so a rank the registry has moved (its silo died between turns) is not
/// called at its old place. Between turns the placement is kept while calls succeed and its silos are active members
/// of the cluster; a silo that leaves or a failed call (reported to the registry) makes the next step resolve again.
/// </summary>
internal sealed partial class GrainShardDirectory<TShard>(
    IGrainFactory grains, IClusterMembershipService membership, string model, Func<IShardWorkerGrain, TShard> wrap, ILogger logger)
    : IShardDirectory<TShard>
{
    private Placement? _resolved;

    private IModelRegistryGrain Registry => grains.GetGrain<IModelRegistryGrain>(0);

    /// <summary>
    /// Asks the registry where the ranks are now and drops the kept placement if it differs, so the turn about to
    /// start runs on the registry's placement.
    /// </summary>
    public async Task ConfirmAsync(CancellationToken cancellationToken)
    {
        if (_resolved is not { } resolved)
        {
            return;
        }

        ModelStatus status;
        try
        {
            status = await Registry.GetModel(model).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The step then resolves through the registry itself, whose failure ends the turn as a lost placement.
            LogConfirmFailed(logger, e, model);
            Interlocked.CompareExchange(ref _resolved, null, resolved);
            return;
        }

        if (!status.Ready || !status.Shards.Select(s => s.Silo).SequenceEqual(resolved.Silos, StringComparer.Ordinal))
        {
            LogPlacementMoved(logger, model);
            Interlocked.CompareExchange(ref _resolved, null, resolved);
        }
    }

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
        _resolved = new Placement(shards, silos, [.. silos.Select(SiloAddress.FromParsableString)]);
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

    private sealed record Placement(IReadOnlyList<TShard> Shards, string[] Silos, SiloAddress[] Addresses);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: a silo of its placement left the cluster; asking the registry again")]
    private static partial void LogPlacementLeft(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: ranks placed on {Silos}")]
    private static partial void LogPlaced(ILogger logger, string model, string silos);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: rank {Rank} on {Silo} failed; it will be placed again")]
    private static partial void LogRankFailed(ILogger logger, Exception exception, string model, int rank, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: reporting the loss of rank {Rank} failed")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, string model, int rank);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: the registry places its ranks elsewhere now; the next step resolves them again")]
    private static partial void LogPlacementMoved(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: the registry did not confirm its placement; the next step resolves it again")]
    private static partial void LogConfirmFailed(ILogger logger, Exception exception, string model);
}
