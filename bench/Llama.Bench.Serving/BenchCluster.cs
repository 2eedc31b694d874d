using System.Globalization;
using LlamaOrleans;
using LlamaOrleans.Client;
using LlamaOrleans.Grains;
using LlamaOrleans.Silo;
using LlamaOrleans.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Llama.Bench.Serving;

/// <summary>
/// A one-silo Llama cluster in this process, composed as <c>llama-orleans-silo</c> composes it (localhost
/// clustering on free ports, conversations in a temporary SQLite file, the bench model as its only hosted model),
/// and a client connected to it over its gateway as any application would be.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private const string ClusterId = "bench";
    private const string ServiceId = "llama-bench-serving";

    // Turns of 32 conversations queue behind each other's prefills; Orleans' 30 s default would cut them off.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(10);

    private readonly IHost _silo;
    private readonly IHost _client;
    private readonly string _folder;

    private BenchCluster(IHost silo, IHost client, string folder, string modelName)
    {
        ModelName = modelName;
        _silo = silo;
        _client = client;
        _folder = folder;
        Conversations = client.Services.GetRequiredService<LlamaOrleansClient>();
        Grains = client.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>The name the silo hosts the bench model under: "bench-" and the model's (bench-110m, bench-260k).</summary>
    public string ModelName { get; }

    public LlamaOrleansClient Conversations { get; }

    /// <summary>The model as the silo hosts it (its serving engine is the one the model worker drives).</summary>
    public HostedModel Model => _silo.Services.GetRequiredService<ModelHost>().Get(ModelName);

    public IGrainFactory Grains { get; }

    /// <param name="model">The checkpoint and tokenizer the silo hosts as <see cref="ModelName"/>.</param>
    /// <param name="maxSeqLen">The model's context.</param>
    /// <param name="conversations">Most conversations served at once, each keeping its KV cache.</param>
    /// <param name="device">cpu, cuda or cuda:N.</param>
    /// <param name="threads">CPU threads of the engine.</param>
    /// <param name="prefixCaching">Whether the worker shares KV blocks between prompts that start alike.</param>
    /// <param name="prefillChunk">Most prompt tokens per step; null keeps the silo's default.</param>
    /// <param name="kvDType">The model's <c>KvCacheDType</c>; null keeps the silo's default.</param>
    public static async Task<BenchCluster> StartAsync(
        BenchModel model, string device, int maxSeqLen, int conversations, int threads, bool prefixCaching, int? prefillChunk,
        string? kvDType, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("llama-bench-serving-").FullName;
        var modelName = $"bench-{model.Name}";
        var ports = FreePorts.Take(2);
        var settings = new Dictionary<string, string?>
        {
            ["Orleans:ClusterId"] = ClusterId,
            ["Orleans:ServiceId"] = ServiceId,
            ["Orleans:ClusteringMode"] = ClusteringModes.Localhost,
            ["Orleans:SiloPort"] = Invariant(ports[0]),
            ["Orleans:GatewayPort"] = Invariant(ports[1]),
            ["Storage:Provider"] = StorageProviders.Sqlite,
            ["Storage:DataSource"] = Path.Combine(folder, "conversations.db"),
            ["Llama:Models:0:Name"] = modelName,
            ["Llama:Models:0:Path"] = model.Path,
            ["Llama:Models:0:Tokenizer"] = model.EngineTokenizer,
            ["Llama:Models:0:Host"] = "true",
            ["Llama:Models:0:Device"] = device,
            ["Llama:Models:0:MaxSeqLen"] = Invariant(maxSeqLen),
            ["Llama:Models:0:MaxCachedConversations"] = Invariant(conversations),
            ["Llama:Models:0:MaxBatchSequences"] = Invariant(conversations),
            ["Llama:Models:0:PrefixCaching"] = prefixCaching ? "true" : "false",
            ["Llama:Models:0:Threads"] = Invariant(threads),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        };
        if (prefillChunk is { } chunk)
        {
            settings["Llama:Models:0:PrefillChunkTokens"] = Invariant(chunk);
        }

        if (kvDType is not null)
        {
            settings["Llama:Models:0:KvCacheDType"] = kvDType;
        }

        var builder = LlamaSiloHost.CreateBuilder([], configuration => configuration.AddInMemoryCollection(settings));
        // stdout carries only the result table.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<SiloMessagingOptions>(messaging => messaging.ResponseTimeout = CallTimeout);
        var silo = builder.Build();
        IHost? client = null;
        try
        {
            await silo.StartAsync(cancellationToken).ConfigureAwait(false);
            var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            clientBuilder.Services.AddLlamaOrleansClient(options =>
            {
                options.ClusterId = ClusterId;
                options.ServiceId = ServiceId;
                options.Gateways = [$"localhost:{Invariant(ports[1])}"];
            });
            clientBuilder.Services.Configure<ClientMessagingOptions>(messaging => messaging.ResponseTimeout = CallTimeout);
            client = clientBuilder.Build();
            await client.StartAsync(cancellationToken).ConfigureAwait(false);
            return new BenchCluster(silo, client, folder, modelName);
        }
        catch
        {
            client?.Dispose();
            silo.Dispose();
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>Drops every KV cache the model's workers hold, so each conversation's next turn recomputes its whole prompt.</summary>
    public async Task DropAllCachesAsync()
    {
        var registry = Grains.GetGrain<IModelRegistryGrain>(0);
        foreach (var silo in await registry.GetHosts(ModelName).ConfigureAwait(false))
        {
            await Grains.GetGrain<IModelWorkerGrain>(ModelWorkerKey.For(ModelName, silo)).DropAllCaches().ConfigureAwait(false);
        }
    }

    /// <summary>Counters of the model's workers, one per hosting silo.</summary>
    public async Task<WorkerStats[]> WorkerStatsAsync()
    {
        var registry = Grains.GetGrain<IModelRegistryGrain>(0);
        var hosts = await registry.GetHosts(ModelName).ConfigureAwait(false);
        return await Task.WhenAll(hosts.Select(silo => Grains.GetGrain<IModelWorkerGrain>(ModelWorkerKey.For(ModelName, silo)).GetStats())).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _client.StopAsync().ConfigureAwait(false);
            await _silo.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _client.Dispose();
            _silo.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
