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
internal sealed class GrainShardDirectory<TShard>(
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

        var status = await Registry.GetModel(model).WaitAsync(cancellationToken);
        if (!status.Ready || !status.Shards.Select(s => s.Silo).SequenceEqual(resolved.Silos, StringComparer.Ordinal))
        {
            logger.LogInformation("Model {Model}: the registry places its ranks elsewhere now; the next step resolves them again", model);
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

            logger.LogInformation("Model {Model}: a silo of its placement left the cluster; asking the registry again", model);
            _resolved = null;
        }

        var status = await Registry.GetModel(model).WaitAsync(cancellationToken);
        if (!status.Ready)
        {
            throw new ConversationException(ConversationErrorCode.Unavailable, status.Problem ?? $"Model '{model}' is not ready.");
        }

        var silos = status.Shards.Select(s => s.Silo!).ToArray();
        var shards = status.Shards.Select(s => wrap(grains.GetGrain<IShardWorkerGrain>(ShardWorkerKey.For(model, s.Rank, s.Silo!)))).ToArray();
        logger.LogInformation("Model {Model}: ranks placed on {Silos}", model, string.Join(", ", silos.Select((s, r) => $"{r}@{s}")));
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

    private sealed record Placement(IReadOnlyList<TShard> Shards, string[] Silos, SiloAddress[] Addresses);
}
