using Llama.Bench;
using Llama.Bench.Parallel;

// Per-token latency of a model split in two (tensor parallel, pipeline) against one process; see bench/README.md.
return await BenchMain.RunAsync(args, ParallelBenchOptions.Usage, async cancellationToken =>
{
    var options = ParallelBenchOptions.Parse(args);
    Console.Write(await ParallelBenchRunner.RunAsync(options, cancellationToken).ConfigureAwait(false));
    return 0;
}).ConfigureAwait(false);
