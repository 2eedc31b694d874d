using System.Globalization;
using LlamaOrleans.Testing;

namespace Llama.Bench.Cluster;

/// <summary>The silo processes under test: the first is Localhost clustering's primary, so a kill takes the last.</summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos = [];
    private readonly string _folder = Directory.CreateTempSubdirectory("llama-bench-cluster-").FullName;

    public string Id { get; } = "bench-" + Guid.NewGuid().ToString("N")[..8];

    public List<string> Gateways { get; } = [];

    /// <summary>Each silo's HTTP API base address.</summary>
    public List<Uri> HttpAddresses { get; } = [];

    public static async Task<BenchCluster> StartAsync(int silos, IReadOnlyDictionary<string, string> extra)
    {
        var cluster = new BenchCluster();
        try
        {
            var primaryPort = 0;
            for (var i = 0; i < silos; i++)
            {
                var ports = FreePorts.Take(3);
                var settings = new Dictionary<string, string>
                {
                    ["Orleans:ClusterId"] = cluster.Id,
                    ["Orleans:ServiceId"] = cluster.Id,
                    ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
                    ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
                    ["Orleans:AdvertisedIPAddress"] = "127.0.0.1",
                    ["Orleans:Membership:ProbeTimeout"] = "00:00:01",
                    ["Orleans:Membership:NumMissedProbesLimit"] = "2",
                    ["Storage:DataSource"] = Path.Combine(cluster._folder, "conversations.db"),
                    ["Http:Enabled"] = "true",
                    ["Http:Urls"] = $"http://127.0.0.1:{ports[2]}",
                };
                if (i > 0)
                {
                    settings["Orleans:PrimarySiloPort"] = primaryPort.ToString(CultureInfo.InvariantCulture);
                }

                foreach (var (key, value) in extra)
                {
                    settings[key] = value;
                }

                var name = $"silo{i}";
                var silo = await SiloProcess.StartAsync(name, Path.Combine(cluster._folder, name), settings, ports[1]);
                cluster._silos.Add(silo);
                var http = new Uri($"http://127.0.0.1:{ports[2]}/");
                // Ready: an active member with its models loaded.
                await silo.WaitUntilHttpReadyAsync(http, TimeSpan.FromMinutes(2));
                cluster.Gateways.Add($"127.0.0.1:{ports[1]}");
                cluster.HttpAddresses.Add(http);
                primaryPort = i == 0 ? ports[0] : primaryPort;
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the last silo (SIGKILL).</summary>
    public void KillLast() => _silos[^1].Kill();

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Enumerable.Reverse(_silos))
        {
            await silo.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }
}
