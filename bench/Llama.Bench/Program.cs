using Llama.Bench;

// Single-stream decode throughput of our engine against llama2.c's run.c on the same weights; see bench/README.md.
if (args.Any(arg => arg is "--help" or "-h"))
{
    Console.WriteLine(BenchOptions.Usage);
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
    if (args.Length > 0 && args[0] == ModelsCommand.Name)
    {
        ModelsCommand.Run(args[1..], Console.Out, cancellation.Token);
        return 0;
    }

    var options = BenchOptions.Parse(args);
    var report = await new BenchRunner(options, BenchPaths.Locate(options.RunC)).RunAsync(cancellation.Token).ConfigureAwait(false);
    Console.Write(ResultTable.Render(report));
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
