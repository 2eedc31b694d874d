namespace Llama.Bench.Cluster;

/// <summary>What one scenario measured and what the cluster stored afterwards.</summary>
internal sealed record ScenarioResult(
    Scenario Scenario,
    IReadOnlyList<TurnRecord> Turns,
    int RetryableErrors,
    int OtherErrors,
    int FailedTurns,
    int LostTurns,
    int DuplicatedTurns,
    TimeSpan Elapsed)
{
    public double TokensPerSecond => Turns.Sum(t => t.Tokens) / Elapsed.TotalSeconds;

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0–100) of <paramref name="values"/>.</summary>
    public static TimeSpan Percentile(IEnumerable<TimeSpan> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return TimeSpan.Zero;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
