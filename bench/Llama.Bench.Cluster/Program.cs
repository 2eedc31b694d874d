using Llama.Bench.Cluster;

// Load on a cluster of silo processes: conversations x turns, streamed, with and without a silo killed mid-run.
ClusterBenchOptions options;
try
{
    options = ClusterBenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(ClusterBenchOptions.Usage);
    return 2;
}

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};

var runner = new ClusterBenchRunner(options);
var results = new List<ScenarioResult>();
foreach (var scenario in options.Scenarios)
{
    Console.WriteLine($"[bench] scenario {scenario.ToString().ToLowerInvariant()}: starting {options.Silos} silos");
    results.Add(await runner.RunAsync(scenario, interrupt.Token));
}

Console.WriteLine();
Console.Write(ResultTable.Format(options, options.Transport == Transport.Http ? "the HTTP API" : "the Orleans client", results));
// Nothing lost, nothing duplicated, every turn done; errors other than retryable ones fail the run.
return results.All(r => r.LostTurns == 0 && r.DuplicatedTurns == 0 && r.FailedTurns == 0 && r.OtherErrors == 0) ? 0 : 1;
