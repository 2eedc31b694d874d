using Llama.Bench;
using Llama.Bench.Device;

// The serving engine on one device near its memory-bandwidth limit: a 7B-shape random model created on the device,
// one stream and many, prefill, CUDA graphs on and off, the 110M shape against the CPU; see bench/README.md.
return await BenchMain.RunAsync(args, DeviceBenchOptions.Usage, async cancellationToken =>
{
    var options = DeviceBenchOptions.Parse(args);
    var report = await DeviceBenchRunner.RunAsync(options, cancellationToken).ConfigureAwait(false);
    if (options.Tsv is { } path)
    {
        await File.WriteAllTextAsync(path, report.Tsv(), cancellationToken).ConfigureAwait(false);
    }

    return report.Failed ? 3 : 0;
}).ConfigureAwait(false);
