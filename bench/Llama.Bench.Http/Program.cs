using System.Globalization;
using Llama.Bench;
using Llama.Bench.Http;

// HTTP streaming throughput against the in-process client on the same silo: the overhead of the HTTP API.
try
{
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };

    var options = HttpBenchOptions.Parse(args);
    var model = BenchModels.Resolve(options.Model, BenchPaths.Locate(runCOverride: null), cancel.Token);
    Progress.Report($"model {model.Name}: {model.Description}; {options.Threads} threads on {options.Device}");
    await using var server = await BenchServer.StartAsync(model, options, cancel.Token);
    using var http = new HttpDriver(server.Address);
    ITurnDriver[] drivers = [new InProcessDriver(server.Grains), http];

    // Warm both paths (JIT, connections, the model's first batches) before measuring.
    foreach (var driver in drivers)
    {
        await ThroughputRun.TokensPerSecondAsync(driver, options.Concurrency.Max(), 1, options.MaxTokens, cancel.Token);
    }

    Console.WriteLine($"| concurrent streams | in-process tok/s | HTTP tok/s | HTTP / in-process | overhead |");
    Console.WriteLine($"|---:|---:|---:|---:|---:|");
    foreach (var concurrency in options.Concurrency)
    {
        var figures = drivers.ToDictionary(d => d.Name, _ => new List<double>());
        for (var repeat = 0; repeat < options.Repeats; repeat++)
        {
            // Alternate the order so neither path always runs on a warmer machine.
            foreach (var driver in repeat % 2 == 0 ? drivers : drivers.Reverse())
            {
                var rate = await ThroughputRun.TokensPerSecondAsync(driver, concurrency, options.Turns, options.MaxTokens, cancel.Token);
                figures[driver.Name].Add(rate);
                Progress.Report($"{concurrency} streams, {driver.Name}, run {repeat + 1}: {rate:F1} tok/s");
            }
        }

        var inProcess = Median(figures["in-process"]);
        var overHttp = Median(figures["http"]);
        var ratio = overHttp / inProcess;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {concurrency} | {inProcess:F1} | {overHttp:F1} | {ratio:F3} | {(1 - ratio) * 100:F1}% |"));
    }

    return 0;
}
catch (BenchException e)
{
    await Console.Error.WriteLineAsync($"bench: {e.Message}");
    return 1;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}
