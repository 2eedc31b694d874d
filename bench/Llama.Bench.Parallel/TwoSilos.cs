using System.Globalization;
using LlamaOrleans;
using LlamaOrleans.Silo;
using LlamaOrleans.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Llama.Bench.Parallel;

/// <summary>
/// Two silos in this process, composed as <c>llama-orleans-silo</c> composes them and talking over loopback TCP:
/// silo 0 holds rank 0 of the tensor-parallel model and stage 0 of the pipeline, silo 1 the other halves. The bench's
/// coordinators run beside silo 0, as a split model's coordinator runs on its rank 0's silo.
/// </summary>
internal sealed class TwoSilos : IAsyncDisposable
{
    public const string Tensor = "bench-tp";
    public const string Pipeline = "bench-pp";

    private readonly IHost[] _silos;
    private readonly string _folder;

    private TwoSilos(IHost[] silos, string folder)
    {
        _silos = silos;
        _folder = folder;
    }

    /// <summary>The grains as silo 0 reaches them.</summary>
    public IGrainFactory Grains => _silos[0].Services.GetRequiredService<IGrainFactory>();

    public static async Task<TwoSilos> StartAsync(BenchModel model, BenchShape shape, int threads, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("llama-bench-parallel-").FullName;
        var silos = new List<IHost>();
        int? primary = null;
        try
        {
            for (var index = 0; index < 2; index++)
            {
                var ports = FreePorts.Take(2);
                var settings = new Dictionary<string, string?>
                {
                    ["Orleans:ClusterId"] = "bench",
                    ["Orleans:ServiceId"] = "llama-bench-parallel",
                    ["Orleans:SiloPort"] = Invariant(ports[0]),
                    ["Orleans:GatewayPort"] = Invariant(ports[1]),
                    ["Orleans:PrimarySiloPort"] = primary is { } p ? Invariant(p) : null,
                    ["Storage:DataSource"] = Path.Combine(folder, $"conversations-{index}.db"),
                    ["Logging:LogLevel:Default"] = "Warning",
                };
                foreach (var (name, parallel, m) in new[] { (Tensor, "Tensor", 0), (Pipeline, "Pipeline", 1) })
                {
                    var key = $"Llama:Models:{m}:";
                    settings[key + "Name"] = name;
                    settings[key + "Path"] = model.Path;
                    settings[key + "Tokenizer"] = model.EngineTokenizer;
                    settings[key + "Parallel"] = parallel;
                    settings[key + "Stages"] = "2";
                    settings[key + "Ranks:0"] = Invariant(index);
                    settings[key + "MaxSeqLen"] = Invariant(shape.MaxSeqLen);
                    settings[key + "MaxCachedConversations"] = Invariant(shape.Sequences);
                    settings[key + "MaxBatchSequences"] = Invariant(shape.Sequences);
                    settings[key + "Threads"] = Invariant(threads);
                }

                var builder = LlamaSiloHost.CreateBuilder([], configuration => configuration.AddInMemoryCollection(settings.Where(s => s.Value is not null)));
                builder.Logging.ClearProviders();
                builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
                var silo = builder.Build();
                silos.Add(silo);
                await silo.StartAsync(cancellationToken).ConfigureAwait(false);
                primary ??= ports[0];
            }

            return new TwoSilos([.. silos], folder);
        }
        catch
        {
            foreach (var silo in silos)
            {
                silo.Dispose();
            }

            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>Waits until both halves of <paramref name="model"/> are loaded and placed, one on each silo.</summary>
    public async Task<ModelStatus> WaitUntilReadyAsync(string model, CancellationToken cancellationToken)
    {
        var registry = Grains.GetGrain<IModelRegistryGrain>(0);
        for (var attempt = 0; ; attempt++)
        {
            var status = await registry.GetModel(model).ConfigureAwait(false);
            if (status.Ready && status.Shards.Select(s => s.Silo).Distinct().Count() == 2)
            {
                return status;
            }

            if (attempt > 1200)
            {
                throw new BenchException($"{model} did not become ready on two silos: {status.Problem}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var silo in _silos.Reverse())
            {
                await silo.StopAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var silo in _silos)
            {
                silo.Dispose();
            }

            Directory.Delete(_folder, recursive: true);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
