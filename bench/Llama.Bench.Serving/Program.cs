using Llama.Bench;
using Llama.Bench.Serving;

// Serving throughput, latency and KV memory of the engine and of Orleans over it; see bench/README.md.
return await BenchMain.RunAsync(args, ServingBenchOptions.Usage, async cancellationToken =>
{
    var options = ServingBenchOptions.Parse(args);
    var report = await ServingBenchRunner.RunAsync(options, cancellationToken).ConfigureAwait(false);
    Console.Write(report.Text);
    return report.AllPassed ? 0 : 3;
}).ConfigureAwait(false);
