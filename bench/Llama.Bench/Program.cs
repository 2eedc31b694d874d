using Llama.Bench;

// Single-stream decode throughput of our engine against llama2.c's run.c on the same weights; see bench/README.md.
return await BenchMain.RunAsync(args, BenchOptions.Usage, async cancellationToken =>
{
    if (args.Length > 0 && args[0] == ModelsCommand.Name)
    {
        ModelsCommand.Run(args[1..], Console.Out, cancellationToken);
        return 0;
    }

    var options = BenchOptions.Parse(args);
    var report = await new BenchRunner(options, BenchPaths.Locate(options.RunC)).RunAsync(cancellationToken).ConfigureAwait(false);
    Console.Write(ResultTable.Render(report));
    return 0;
}).ConfigureAwait(false);
