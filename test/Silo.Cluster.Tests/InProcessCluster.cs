using System.Globalization;
using LlamaOrleans.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// Silos composed exactly as llama-orleans-silo composes them (<see cref="LlamaSiloHost"/>), hosted in this process,
/// each serving the demo model, with a client connected to all their gateways.
/// </summary>
public sealed class InProcessCluster : IAsyncDisposable
{
    private readonly Backend _backend;
    private readonly string _folder;
    private readonly List<(IHost Host, int SiloPort, int GatewayPort)> _silos = [];
    private IHost? _client;

    private InProcessCluster(Backend backend, string folder)
    {
        _backend = backend;
        _folder = folder;
    }

    public IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    /// <summary>The first silo's services (its storage providers, for tests that set stored state up directly).</summary>
    public IServiceProvider SiloServices => _silos[0].Host.Services;

    public static async Task<InProcessCluster> StartAsync(Backend backend, string folder, int silos)
    {
        var cluster = new InProcessCluster(backend, folder);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                await cluster.StartSiloAsync();
            }

            await cluster.ConnectAsync();
            await cluster.WaitForModelHostsAsync(silos);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops every silo gracefully and starts as many anew on the same storage: a full restart.</summary>
    public async Task RestartAsync()
    {
        var count = _silos.Count;
        await StopClientAndSilosAsync();
        for (var i = 0; i < count; i++)
        {
            await StartSiloAsync();
        }

        await ConnectAsync();
        await WaitForModelHostsAsync(count);
    }

    public async ValueTask DisposeAsync() => await StopClientAndSilosAsync();

    private async Task StartSiloAsync()
    {
        var ports = FreePorts.Take(2);
        var settings = new Dictionary<string, string?>(_backend.SiloSettings(_folder).Select(p => KeyValuePair.Create(p.Key, (string?)p.Value)))
        {
            ["Orleans:ClusterId"] = _backend.ServiceId,
            ["Orleans:ServiceId"] = _backend.ServiceId,
            ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Orleans:AdvertisedIPAddress"] = "127.0.0.1",
            ["Llama:Models:0:Name"] = "demo",
            ["Llama:Models:0:Path"] = TestData.Model,
            ["Llama:Models:0:Tokenizer"] = TestData.Tok512,
            ["Llama:Models:0:Threads"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (_silos.Count > 0 && settings["Orleans:ClusteringMode"] == "Localhost")
        {
            settings["Orleans:PrimarySiloPort"] = _silos[0].SiloPort.ToString(CultureInfo.InvariantCulture);
        }

        var host = LlamaSiloHost.CreateBuilder([], c => c.AddInMemoryCollection(settings)).Build();
        await host.StartAsync();
        _silos.Add((host, ports[0], ports[1]));
    }

    private async Task ConnectAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddLlamaOrleansClient(o =>
        {
            o.ClusterId = _backend.ServiceId;
            o.ServiceId = _backend.ServiceId;
            o.Gateways = [.. _silos.Select(s => $"127.0.0.1:{s.GatewayPort}")];
        });
        _client = builder.Build();
        await _client.StartAsync();
    }

    private Task WaitForModelHostsAsync(int count) => ModelHosts.WaitAsync(Client, "demo", count, TimeSpan.FromSeconds(30));

    private async Task StopClientAndSilosAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
            _client = null;
        }

        // The primary (first) silo last: in Localhost clustering the others depend on it.
        foreach (var (host, _, _) in Enumerable.Reverse(_silos))
        {
            await host.StopAsync();
            host.Dispose();
        }

        _silos.Clear();
    }
}
