using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>
/// In-memory directory of hosting silos (a new activation asks every live silo, and the silos register again
/// periodically and whenever a silo leaves) with a count of conversations per worker, and the placement of split models' ranks: each rank runs on one
/// live silo that has loaded it, and stays there until that silo is gone or a call to it failed.
/// </summary>
public sealed class ModelRegistryGrain(IClusterMembershipService membership) : Grain, IModelRegistryGrain
{
    private readonly Dictionary<string, HashSet<string>> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _load = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ShardOffer[]> _offers = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Model, int Rank), string> _placement = [];
    private readonly HashSet<(string Model, int Rank, string Silo)> _lost = [];

    /// <summary>How long a new activation waits for each silo's answer; a silo that is slower registers itself.</summary>
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// This activation replaces one that left with its silo (or a duplicate the directory is settling): it learns what
    /// every live silo hosts now, so a split model's placement is known from its first call rather than after the silos'
    /// next registration.
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(ActiveSilos().Select(async silo =>
        {
            try
            {
                var hosted = await GrainFactory.GetGrain<IHostedModelsGrain>(IHostedModelsGrain.For(silo)).Describe()
                    .WaitAsync(AskTimeout, cancellationToken);
                return (Silo: silo, Hosted: hosted);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (Silo: silo, Hosted: (HostedModels?)null);
            }
        }));
        foreach (var (silo, hosted) in answers)
        {
            if (hosted is not null)
            {
                await Register(silo, hosted);
            }
        }
    }

    public Task Register(string silo, HostedModels hosted)
    {
        ArgumentNullException.ThrowIfNull(hosted);
        foreach (var hosts in _hosts.Values)
        {
            hosts.Remove(silo);
        }

        foreach (var model in hosted.Models)
        {
            if (!_hosts.TryGetValue(model, out var hosts))
            {
                _hosts[model] = hosts = new HashSet<string>(StringComparer.Ordinal);
            }

            hosts.Add(silo);
        }

        if (hosted.Shards.Length > 0)
        {
            _offers[silo] = hosted.Shards;
            // A silo that answers again may be trusted again (its pool identity tells the coordinator if it restarted).
            _lost.RemoveWhere(l => l.Silo == silo);
        }

        return Task.CompletedTask;
    }

    public async Task<string> AssignWorker(string model, string? exclude = null)
    {
        if (IsSplit(model))
        {
            // One coordinator drives the ranks; a second would write their KV pools too. Excluding it cannot help:
            // after a lost rank the same coordinator re-resolves the placement.
            var status = Place(model);
            if (!status.Ready)
            {
                throw new ConversationException(ConversationErrorCode.Unavailable, status.Problem!);
            }

            var coordinator = ModelWorkerKey.For(model, status.Shards[0].Silo!);
            _load[coordinator] = _load.GetValueOrDefault(coordinator) + 1;
            return coordinator;
        }

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
        var active = ActiveSilos();
        var hosts = _hosts.TryGetValue(model, out var registered) ? registered.Where(active.Contains).Order(StringComparer.Ordinal).ToArray() : [];
        return Task.FromResult(hosts);
    }

    public Task<ModelStatus> GetModel(string model) => Task.FromResult(IsSplit(model) ? Place(model) : Whole(model));

    public Task<ModelStatus[]> GetModels()
    {
        var names = _hosts.Where(h => h.Value.Count > 0).Select(h => h.Key)
            .Concat(_offers.Values.SelectMany(o => o).Select(o => o.Model))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return Task.FromResult(names.Select(m => IsSplit(m) ? Place(m) : Whole(m)).ToArray());
    }

    public Task ReportShardLost(string model, int rank, string silo)
    {
        _lost.Add((model, rank, silo));
        if (_placement.TryGetValue((model, rank), out var placed) && placed == silo)
        {
            _placement.Remove((model, rank));
        }

        return Task.CompletedTask;
    }

    private bool IsSplit(string model) => _offers.Values.Any(o => o.Any(s => s.Model == model));

    private ModelStatus Whole(string model)
    {
        var hosts = GetHosts(model).Result;
        return new ModelStatus
        {
            Model = model,
            Hosts = hosts,
            Ready = hosts.Length > 0,
            Problem = hosts.Length > 0 ? null : $"No active silo hosts model '{model}'.",
        };
    }

    /// <summary>
    /// Places every rank of a split model: it stays on its silo while that silo is live, has it loaded and was not
    /// reported lost; otherwise it goes to the first live silo that has it loaded (a reported one only as a last resort).
    /// </summary>
    private ModelStatus Place(string model)
    {
        var active = ActiveSilos();
        var offers = _offers.Where(o => active.Contains(o.Key))
            .SelectMany(o => o.Value.Where(s => s.Model == model).Select(s => (Silo: o.Key, Offer: s)))
            .OrderBy(o => o.Silo, StringComparer.Ordinal)
            .ToList();
        var known = _offers.Values.SelectMany(o => o).Where(s => s.Model == model).ToList();
        // Ranks still loading may not know the count yet; any rank offered counts.
        var count = Math.Max(known.Max(s => s.Count), known.Max(s => s.Rank) + 1);
        var parallel = known[0].Parallel;
        var shards = new ShardPlacement[count];
        string? problem = null;
        for (var rank = 0; rank < count; rank++)
        {
            var mine = offers.Where(o => o.Offer.Rank == rank).ToList();
            var loaded = mine.Where(o => o.Offer.State == ShardState.Loaded).Select(o => o.Silo).ToList();
            var trusted = loaded.Where(s => !_lost.Contains((model, rank, s))).ToList();
            var silo = _placement.TryGetValue((model, rank), out var current) && trusted.Contains(current)
                ? current
                : trusted.FirstOrDefault() ?? loaded.FirstOrDefault();
            if (silo is null)
            {
                _placement.Remove((model, rank));
            }
            else
            {
                _placement[(model, rank)] = silo;
            }

            var failed = mine.FirstOrDefault(o => o.Offer.State == ShardState.Failed);
            shards[rank] = new ShardPlacement
            {
                Rank = rank,
                Silo = silo,
                State = silo is not null ? ShardState.Loaded : mine.Count == 0 ? null : mine.Min(o => o.Offer.State),
                Candidates = [.. mine.Select(o => o.Silo)],
                Error = failed.Offer?.Error,
            };
            var name = parallel == ModelParallelism.Pipeline ? "stage" : "rank";
            problem ??= silo is not null ? null
                : mine.Count == 0 ? $"{Capitalized(name)} {rank} of model '{model}' has no live silo configured with it (Llama:Models:N:Ranks); it cannot be placed."
                : failed.Offer is not null ? $"{Capitalized(name)} {rank} of model '{model}' failed to load on {failed.Silo}: {failed.Offer.Error}"
                : $"{Capitalized(name)} {rank} of model '{model}' is still loading on {string.Join(", ", mine.Select(o => o.Silo))}.";
        }

        return new ModelStatus { Model = model, Parallel = parallel, Shards = shards, Ready = problem is null, Problem = problem };
    }

    private static string Capitalized(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    private HashSet<string> ActiveSilos() => membership.CurrentSnapshot.Members.Values
        .Where(m => m.Status == SiloStatus.Active)
        .Select(m => m.SiloAddress.ToParsableString())
        .ToHashSet(StringComparer.Ordinal);
}
