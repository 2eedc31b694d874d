using System.Globalization;
using LlamaOrleans.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlamaOrleans.Parallel.Tests;

/// <summary>
/// <c>llama-orleans-silo</c> processes on loopback sharing one working folder (so one SQLite conversation store), the
/// first the cluster's primary, and a client connected to the primary's gateway.
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llama-parallel-").FullName;
    private readonly List<SiloProcess> _silos = [];
    private IHost? _client;
    private int? _primarySiloPort;

    public LlamaOrleansClient Conversations => _client!.Services.GetRequiredService<LlamaOrleansClient>();

    public IGrainFactory Grains => _client!.Services.GetRequiredService<IClusterClient>();

    /// <summary>The primary silo's gateway, "127.0.0.1:port".</summary>
    public string Gateway { get; private set; } = string.Empty;

    /// <summary>Starts a silo hosting the given ranks of "tp" and stages of "pp"; returns it with its silo port.</summary>
    public async Task<(SiloProcess Silo, int SiloPort)> StartSiloAsync(string name, int[] tensorRanks, int[] pipelineStages)
    {
        var ports = FreePorts.Take(2);
        var settings = SplitModels.Settings("Llama:", tensorRanks, pipelineStages)
            .ToDictionary(s => s.Key, s => s.Value!);
        settings["Orleans:SiloPort"] = Invariant(ports[0]);
        settings["Orleans:GatewayPort"] = Invariant(ports[1]);
        if (_primarySiloPort is { } primary)
        {
            settings["Orleans:PrimarySiloPort"] = Invariant(primary);
        }

        var silo = await SiloProcess.StartAsync(name, _folder, settings, ports[1]);
        _silos.Add(silo);
        if (_primarySiloPort is null)
        {
            _primarySiloPort = ports[0];
            Gateway = $"127.0.0.1:{Invariant(ports[1])}";
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddLlamaOrleansClient(options => options.Gateways = [Gateway]);
            _client = builder.Build();
            await _client.StartAsync();
        }

        return (silo, ports[0]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _client.StopAsync(stopping.Token);
            _client.Dispose();
        }

        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
