using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>
/// In-memory directory of hosting silos (rebuilt by the silos' periodic registration if this activation
/// moves) with a count of conversations per worker.
/// </summary>
public sealed class ModelRegistryGrain(IClusterMembershipService membership) : Grain, IModelRegistryGrain
{
    private readonly Dictionary<string, HashSet<string>> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _load = new(StringComparer.Ordinal);

    public Task Register(string silo, string[] models)
    {
        foreach (var hosts in _hosts.Values)
        {
            hosts.Remove(silo);
        }

        foreach (var model in models)
        {
            if (!_hosts.TryGetValue(model, out var hosts))
            {
                _hosts[model] = hosts = new HashSet<string>(StringComparer.Ordinal);
            }

            hosts.Add(silo);
        }

        return Task.CompletedTask;
    }

    public async Task<string> AssignWorker(string model, string? exclude = null)
    {
        var hosts = await GetHosts(model);
        var candidates = hosts.Select(h => ModelWorkerKey.For(model, h)).Where(k => k != exclude).ToArray();
        if (candidates.Length == 0)
        {
            throw new ConversationException(ConversationErrorCode.Unavailable,
                hosts.Length == 0
                    ? $"No active silo hosts model '{model}'."
                    : $"No other active silo hosts model '{model}'.");
        }

        var worker = candidates.MinBy(k => _load.GetValueOrDefault(k))!;
        _load[worker] = _load.GetValueOrDefault(worker) + 1;
        return worker;
    }

    public Task ReleaseWorker(string workerKey)
    {
        if (_load.TryGetValue(workerKey, out var count))
        {
            _load[workerKey] = Math.Max(0, count - 1);
        }

        return Task.CompletedTask;
    }

    public Task<string[]> GetHosts(string model)
    {
        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress.ToParsableString())
            .ToHashSet(StringComparer.Ordinal);
        var hosts = _hosts.TryGetValue(model, out var registered) ? registered.Where(active.Contains).Order(StringComparer.Ordinal).ToArray() : [];
        return Task.FromResult(hosts);
    }
}
