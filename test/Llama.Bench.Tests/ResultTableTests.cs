namespace Llama.Bench.Tests;

public class ResultTableTests
{
    [Fact]
    public void Shows_median_rates_ratio_to_run_c_and_share_of_host_bandwidth()
    {
        var options = BenchOptions.Parse(["--threads", "2", "--tokens", "64"]);
        var model = new BenchModel("260k", "stories260K", "m.bin", "t.bin", "t.bin");
        var report = new BenchReport(
            "test host",
            HostBytesPerSecond: 10e9,
            "kernel",
            options,
            "Once upon a time",
            [model],
            [
                new BenchResult("260k", BenchResult.RunCEngine, 2, [90, 100, 300], WeightBytesPerToken: 20_000_000),
                new BenchResult("260k", BenchResult.OursEngine, 2, [50, 40, 60], WeightBytesPerToken: 20_000_000),
            ]);

        var lines = ResultTable.Render(report).Split('\n', StringSplitOptions.TrimEntries);

        Assert.Contains("host read bandwidth: 10.0 GB/s with 2 threads (kernel)", lines);
        Assert.Contains("260k: stories260K; 20.0 MB of weights read per token", lines);
        // Medians 100 and 50 tok/s; 20 MB/token gives 2.0 and 1.0 GB/s of a 10 GB/s host.
        Assert.Contains(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["260k", "run.c", "2", "100.00", "1.00", "2.00", "20%"]);
        Assert.Contains(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["260k", "llama-orleans", "2", "50.00", "0.50", "1.00", "10%"]);
    }
}
