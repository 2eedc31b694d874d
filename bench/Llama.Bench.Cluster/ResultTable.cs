using System.Globalization;
using System.Text;

namespace Llama.Bench.Cluster;

/// <summary>The scenarios side by side, one row each.</summary>
internal static class ResultTable
{
    public static string Format(ClusterBenchOptions options, string transport, IEnumerable<ScenarioResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{options.Conversations} conversations x {options.Turns} turns, {options.ReplyTokens}-token replies, {options.Silos} silo processes, via {transport}");
        text.AppendLine("| scenario | turns done | retried errors | other errors | failed turns | lost | duplicated | TTFT p50 | TTFT p99 | per-token p50 | per-token p99 | tokens/s |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            var ttft = r.Turns.Select(t => t.TimeToFirstToken).ToArray();
            var perToken = r.Turns.Select(t => t.PerToken).OfType<TimeSpan>().ToArray();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Scenario.ToString().ToLowerInvariant()} | {r.Turns.Count} | {r.RetryableErrors} | {r.OtherErrors} | {r.FailedTurns} | {r.LostTurns} | {r.DuplicatedTurns} | " +
                $"{Ms(ScenarioResult.Percentile(ttft, 50))} | {Ms(ScenarioResult.Percentile(ttft, 99))} | " +
                $"{Ms(ScenarioResult.Percentile(perToken, 50))} | {Ms(ScenarioResult.Percentile(perToken, 99))} | {r.TokensPerSecond:F0} |");
        }

        return text.ToString();
    }

    private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:F1} ms");
}
