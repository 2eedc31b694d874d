using System.Globalization;
using LlamaOrleans;
using LlamaOrleans.Silo;
using LlamaOrleans.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Llama.Bench.Http;

/// <summary>
/// The silo host exactly as <c>llama-orleans-silo</c> runs it (silo and HTTP API in one process) in this process, on free
/// ports, with the bench model; the in-process client is the host's own grain factory, the one the HTTP API uses.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    public const string ModelName = "bench";

    private readonly IHost _host;
    private readonly string _folder;

    private BenchServer(IHost host, string folder, Uri address)
    {
        _host = host;
        _folder = folder;
        Address = address;
        Grains = host.Services.GetRequiredService<IGrainFactory>();
    }

    public Uri Address { get; }

    public IGrainFactory Grains { get; }

    public static async Task<BenchServer> StartAsync(Llama.Bench.BenchModel model, HttpBenchOptions options, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("llama-bench-http-").FullName;
        var ports = FreePorts.Take(3);
        var sequences = options.Concurrency.Max();
        var settings = new Dictionary<string, string?>
        {
            ["Orleans:SiloPort"] = Invariant(ports[0]),
            ["Orleans:GatewayPort"] = Invariant(ports[1]),
            ["Http:Urls"] = $"http://127.0.0.1:{Invariant(ports[2])}",
            ["Storage:DataSource"] = Path.Combine(folder, "conversations.db"),
            ["Llama:Models:0:Name"] = ModelName,
            ["Llama:Models:0:Path"] = model.Path,
            ["Llama:Models:0:Tokenizer"] = model.EngineTokenizer,
            ["Llama:Models:0:Host"] = "true",
            ["Llama:Models:0:Device"] = options.Device,
            ["Llama:Models:0:MaxSeqLen"] = "512",
            ["Llama:Models:0:MaxCachedConversations"] = Invariant(2 * sequences),
            ["Llama:Models:0:MaxBatchSequences"] = Invariant(sequences),
            ["Llama:Models:0:Threads"] = Invariant(options.Threads),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
        };
        var host = LlamaSiloHost.CreateApplication([], configuration => configuration.AddInMemoryCollection(settings));
        await host.StartAsync(cancellationToken);
        var server = new BenchServer(host, folder, new Uri($"http://127.0.0.1:{Invariant(ports[2])}/"));
        await server.WaitUntilReady(cancellationToken);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync();
        }
        finally
        {
            _host.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }

    private async Task WaitUntilReady(CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = Address };
        while (true)
        {
            using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
