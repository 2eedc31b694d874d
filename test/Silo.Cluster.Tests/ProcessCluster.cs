using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// llama-orleans-silo processes on loopback, each serving the demo model shipped beside the binary, sharing
/// membership and storage through a backend; and a client connected to all their gateways.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>A first turn queues behind the others' while three silos start on a loaded machine; 15 s was too short.</summary>
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(45);

    private readonly string _folder;
    private readonly List<Member> _members = [];
    private IHost? _client;

    private ProcessCluster(string folder) => _folder = folder;

    public IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    public IReadOnlyList<Member> Members => _members;

    /// <param name="extra">Settings of every silo.</param>
    /// <param name="perSilo">Settings of silo <c>i</c> alone, e.g. its HTTP address.</param>
    public static async Task<ProcessCluster> StartAsync(
        Backend backend, string folder, int silos, IReadOnlyDictionary<string, string>? extra = null, Func<int, IReadOnlyDictionary<string, string>>? perSilo = null)
    {
        var cluster = new ProcessCluster(folder);
        IReadOnlyDictionary<string, string> SettingsOf(int i) =>
            perSilo is null ? extra ?? new Dictionary<string, string>() : new Dictionary<string, string>((extra ?? new Dictionary<string, string>()).Concat(perSilo(i)));
        try
        {
            // The first alone (it may set up storage), then the rest together.
            cluster._members.Add(await StartMemberAsync(backend, folder, 0, SettingsOf(0)));
            cluster._members.AddRange(await Task.WhenAll(Enumerable.Range(1, silos - 1).Select(i => StartMemberAsync(backend, folder, i, SettingsOf(i)))));

            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            // A request caught in a killed silo is given up sooner than Orleans' default 30 s, and sent again.
            builder.Services.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout);
            builder.Services.AddLlamaOrleansClient(o =>
            {
                o.ClusterId = backend.ServiceId;
                o.ServiceId = backend.ServiceId;
                o.Gateways = [.. cluster._members.Select(m => $"127.0.0.1:{m.GatewayPort}")];
            });
            cluster._client = builder.Build();
            await cluster._client.StartAsync();
            var registry = cluster.Client.GetGrain<IModelRegistryGrain>(0);
            for (var i = 0; i < 300 && (await registry.GetHosts("demo")).Length < silos; i++)
            {
                await Task.Delay(100);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static async Task<Member> StartMemberAsync(Backend backend, string folder, int index, IReadOnlyDictionary<string, string>? extra)
    {
        var ports = FreePorts.Take(2);
        var settings = new Dictionary<string, string>(backend.SiloSettings(folder))
        {
            ["Orleans:ClusterId"] = backend.ServiceId,
            ["Orleans:ServiceId"] = backend.ServiceId,
            ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Orleans:AdvertisedIPAddress"] = "127.0.0.1",
            // Quick failure detection, so a killed silo is declared dead within seconds.
            ["Orleans:Membership:ProbeTimeout"] = "00:00:01",
            ["Orleans:Membership:NumMissedProbesLimit"] = "2",
            ["Orleans:Messaging:ResponseTimeout"] = ResponseTimeout.ToString(),
            ["Llama:Models:0:Threads"] = "1",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var name = $"silo{index}";
        var process = await SiloProcess.StartAsync(name, Path.Combine(folder, name), settings, ports[1]);
        return new Member(process, ports[0], ports[1]);
    }

    /// <summary>The member whose silo port <paramref name="siloAddress"/> (Orleans' "ip:port@epoch") names.</summary>
    public Member At(string siloAddress) =>
        _members.Single(m => siloAddress.StartsWith($"127.0.0.1:{m.SiloPort}@", StringComparison.Ordinal));

    /// <summary>Every silo's output, for failure messages.</summary>
    public string Output => string.Join("\n", _members.Select(m => $"--- {m.Process.Name}\n{m.Process.Output}"));

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
        }

        foreach (var member in _members)
        {
            await member.Process.DisposeAsync();
        }
    }

    public sealed record Member(SiloProcess Process, int SiloPort, int GatewayPort);
}
