namespace Llama.Bench;

/// <summary>Everything one bench run measured.</summary>
internal sealed record BenchReport(
    string Host,
    double HostBytesPerSecond,
    string BandwidthMethod,
    BenchOptions Options,
    string Prompt,
    IReadOnlyList<BenchModel> Models,
    IReadOnlyList<BenchResult> Results);
