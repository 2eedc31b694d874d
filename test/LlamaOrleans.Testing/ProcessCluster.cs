using System.Globalization;
using LlamaOrleans.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace LlamaOrleans.Testing;

/// <summary>
/// <c>llama-orleans-silo</c> processes on loopback ports of their own, working in a scratch folder that goes with the
/// cluster, and a client connected to their gateways. A test project says what each silo runs (its settings) and when
/// the client connects.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly TempFolder _folder;
    // By start order, whichever finished starting first: silos started together keep the order they were asked for.
    private readonly SortedDictionary<int, Member> _members = [];
    private int _started;
    private IHost? _client;

    public ProcessCluster(string folderPrefix = "llama-cluster-")
    {
        _folder = new TempFolder(folderPrefix);
    }

    /// <summary>The cluster's scratch folder (storage files, the silos' working folders), deleted on dispose.</summary>
    public string Folder => _folder.Path;

    /// <summary>The silos started, in the order they were asked for.</summary>
    public IReadOnlyList<Member> Members
    {
        get
        {
            lock (_members)
            {
                return [.. _members.Values];
            }
        }
    }

    public IClusterClient Client => Services.GetRequiredService<IClusterClient>();

    public LlamaOrleansClient Conversations => Services.GetRequiredService<LlamaOrleansClient>();

    /// <summary>Every silo's output, for failure messages.</summary>
    public string Output => string.Join("\n", Members.Select(m => $"--- {m.Process.Name}\n{m.Process.Output}"));

    private IServiceProvider Services => (_client ?? throw new InvalidOperationException("The client is not connected.")).Services;

    /// <summary>
    /// Starts a silo with <paramref name="settings"/> and a silo and gateway port of its own, working in
    /// <paramref name="workingDirectory"/> (by default the cluster's folder), and waits until it is up.
    /// </summary>
    public async Task<Member> StartSiloAsync(string name, IReadOnlyDictionary<string, string> settings, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var index = Interlocked.Increment(ref _started);
        var ports = FreePorts.Take(2);
        var all = new Dictionary<string, string>(settings)
        {
            ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
        };
        var process = await SiloProcess.StartAsync(name, workingDirectory ?? Folder, all, ports[1]);
        var member = new Member(process, ports[0], ports[1]);
        lock (_members)
        {
            _members.Add(index, member);
        }

        return member;
    }

    /// <summary>
    /// Connects the client to the gateways of <paramref name="gateways"/> (by default every silo started so far);
    /// <paramref name="configure"/> sets its cluster and service ids, <paramref name="responseTimeout"/> how long it
    /// waits for an answer before it gives a request up (Orleans' default 30 s when null).
    /// </summary>
    public async Task ConnectAsync(
        IEnumerable<Member>? gateways = null, Action<LlamaOrleansClientOptions>? configure = null, TimeSpan? responseTimeout = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (responseTimeout is { } timeout)
        {
            builder.Services.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = timeout);
        }

        var addresses = (gateways ?? Members).Select(m => $"127.0.0.1:{m.GatewayPort.ToString(CultureInfo.InvariantCulture)}").ToList();
        builder.Services.AddLlamaOrleansClient(o =>
        {
            configure?.Invoke(o);
            o.Gateways = addresses;
        });
        _client = builder.Build();
        await _client.StartAsync();
    }

    /// <summary>The member whose silo port <paramref name="siloAddress"/> (Orleans' "ip:port@epoch") names.</summary>
    public Member At(string siloAddress) =>
        Members.Single(m => siloAddress.StartsWith($"127.0.0.1:{m.SiloPort.ToString(CultureInfo.InvariantCulture)}@", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _client.StopAsync(stopping.Token);
            _client.Dispose();
        }

        foreach (var member in Members)
        {
            await member.Process.DisposeAsync();
        }

        _folder.Dispose();
    }

    public sealed record Member(SiloProcess Process, int SiloPort, int GatewayPort);
}
