using Llama.Bench;
using Llama.Bench.Serving;

// Serving throughput, latency and KV memory of the engine and of Orleans over it; see bench/README.md.
if (args.Any(arg => arg is "--help" or "-h"))
{
    Console.WriteLine(ServingBenchOptions.Usage);
    return 0;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

try
{
    var options = ServingBenchOptions.Parse(args);
    var report = await ServingBenchRunner.RunAsync(options, cancellation.Token).ConfigureAwait(false);
    Console.Write(report.Text);
    return report.AllPassed ? 0 : 3;
}
catch (BenchException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("bench: cancelled");
    return 130;
}
