namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// A <see cref="ProcessCluster"/> whose silos share membership and storage through a backend, each serving the demo
/// model shipped beside the binary and failing over quickly, with a client connected to all their gateways.
/// </summary>
public static class BackendProcessCluster
{
    /// <summary>A first turn queues behind the others' while three silos start on a loaded machine; 15 s was too short.</summary>
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(45);

    /// <param name="extra">Settings of every silo.</param>
    /// <param name="perSilo">Settings of silo <c>i</c> alone, e.g. its HTTP address.</param>
    public static async Task<ProcessCluster> StartAsync(
        Backend backend, int silos, IReadOnlyDictionary<string, string>? extra = null, Func<int, IReadOnlyDictionary<string, string>>? perSilo = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var cluster = new ProcessCluster($"llama-{backend.Name.ToLowerInvariant()}-");
        try
        {
            // The first alone (it may set up storage), then the rest together.
            await StartSiloAsync(cluster, backend, 0, extra, perSilo);
            await Task.WhenAll(Enumerable.Range(1, silos - 1).Select(i => StartSiloAsync(cluster, backend, i, extra, perSilo)));

            // A killed silo is declared dead within seconds, which ends the requests caught in it; the timeout only bounds a
            // turn that queues on a loaded machine.
            await cluster.ConnectAsync(configure: o =>
            {
                o.ClusterId = backend.ServiceId;
                o.ServiceId = backend.ServiceId;
            }, responseTimeout: ResponseTimeout);
            await ModelHosts.WaitAsync(cluster.Client, "demo", silos, TimeSpan.FromSeconds(30));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static Task StartSiloAsync(
        ProcessCluster cluster, Backend backend, int index, IReadOnlyDictionary<string, string>? extra, Func<int, IReadOnlyDictionary<string, string>>? perSilo)
    {
        var settings = new Dictionary<string, string>(backend.SiloSettings(cluster.Folder))
        {
            ["Orleans:ClusterId"] = backend.ServiceId,
            ["Orleans:ServiceId"] = backend.ServiceId,
            ["Orleans:AdvertisedIPAddress"] = "127.0.0.1",
            // Quick failure detection, so a killed silo is declared dead within seconds.
            ["Orleans:Membership:ProbeTimeout"] = "00:00:01",
            ["Orleans:Membership:NumMissedProbesLimit"] = "2",
            ["Orleans:Messaging:ResponseTimeout"] = ResponseTimeout.ToString(),
            ["Llama:Models:0:Threads"] = "1",
        };
        foreach (var (key, value) in (extra ?? new Dictionary<string, string>()).Concat(perSilo?.Invoke(index) ?? new Dictionary<string, string>()))
        {
            settings[key] = value;
        }

        var name = $"silo{index}";
        return cluster.StartSiloAsync(name, settings, Path.Combine(cluster.Folder, name));
    }
}
