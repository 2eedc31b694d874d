using Llama.Bench;
using Llama.Bench.Parallel;

// Per-token latency of a model split in two (tensor parallel, pipeline) against one process; see bench/README.md.
if (args.Any(arg => arg is "--help" or "-h"))
{
    Console.WriteLine(ParallelBenchOptions.Usage);
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
    var options = ParallelBenchOptions.Parse(args);
    Console.Write(await ParallelBenchRunner.RunAsync(options, cancellation.Token).ConfigureAwait(false));
    return 0;
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
