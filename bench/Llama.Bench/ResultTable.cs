using System.Globalization;
using System.Text;

namespace Llama.Bench;

/// <summary>Renders a bench report as a plain-text table for the console.</summary>
internal static class ResultTable
{
    private static readonly string[] Headers = ["model", "engine", "threads", "tok/s", "ours/run.c", "GB/s", "% host bw"];

    public static string Render(BenchReport report)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(invariant, $"host: {report.Host}");
        text.AppendLine(invariant,
            $"host read bandwidth: {report.HostBytesPerSecond / 1e9:F1} GB/s with {report.Options.Threads} thread{(report.Options.Threads == 1 ? "" : "s")} ({report.BandwidthMethod})");
        text.AppendLine(invariant,
            $"prompt \"{report.Prompt}\", {report.Options.Tokens} generated tokens per run, greedy, median of {report.Options.Repeats} runs");
        foreach (var model in report.Models)
        {
            var bytes = report.Results.FirstOrDefault(r => r.Model == model.Name)?.WeightBytesPerToken;
            text.AppendLine(invariant, $"{model.Name}: {model.Description}; {bytes / 1e6:F1} MB of weights read per token");
        }

        text.AppendLine();
        var rows = new List<string[]> { Headers };
        foreach (var result in report.Results)
        {
            var baseline = report.Results.FirstOrDefault(r => r.Model == result.Model && r.Engine == BenchResult.RunCEngine);
            rows.Add(
            [
                result.Model,
                result.Engine,
                result.Threads.ToString(invariant),
                result.MedianTokensPerSecond.ToString("F2", invariant),
                baseline is null ? "-" : (result.MedianTokensPerSecond / baseline.MedianTokensPerSecond).ToString("F2", invariant),
                (result.BytesPerSecond / 1e9).ToString("F2", invariant),
                (100 * result.BytesPerSecond / report.HostBytesPerSecond).ToString("F0", invariant) + "%",
            ]);
        }

        var widths = Enumerable.Range(0, Headers.Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
        foreach (var row in rows)
        {
            // Text columns left-aligned, numbers right-aligned.
            var cells = row.Select((cell, c) => c < 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]));
            text.AppendLine(string.Join("  ", cells).TrimEnd());
        }

        return text.ToString();
    }
}
