namespace Llama.Bench;

/// <summary>One engine's decode rates on one model, a sample per run.</summary>
internal sealed record BenchResult(string Model, string Engine, int Threads, IReadOnlyList<double> TokensPerSecond, long WeightBytesPerToken)
{
    public const string RunCEngine = "run.c";

    public const string OursEngine = "llama-orleans";

    public double MedianTokensPerSecond => Statistics.Median(TokensPerSecond);

    /// <summary>Weight bytes streamed per second at the median rate.</summary>
    public double BytesPerSecond => WeightBytesPerToken * MedianTokensPerSecond;
}
