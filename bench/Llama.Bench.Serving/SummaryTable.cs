using System.Globalization;
using System.Text;

namespace Llama.Bench.Serving;

/// <summary>Renders the figures of a run as one plain-text table: value, target, ratio and PASS/FAIL.</summary>
internal static class SummaryTable
{
    private static readonly string[] Headers = ["section", "figure", "value", "target", "ratio", "result"];

    public static string Render(IReadOnlyList<string> preamble, IReadOnlyList<Figure> figures)
    {
        var text = new StringBuilder();
        foreach (var line in preamble)
        {
            text.AppendLine(line);
        }

        text.AppendLine();
        var rows = new List<string[]> { Headers };
        rows.AddRange(figures.Select(f => new[]
        {
            f.Section,
            f.Name,
            FormatValue(f.Value, f.Unit),
            f.Target?.Text ?? "-",
            f.Target?.Ratio is { } ratio ? FormatRatio(ratio) : "-",
            f.Target?.Passed switch
            {
                true => "PASS",
                false => "FAIL",
                null => "-",
            },
        }));

        var widths = Enumerable.Range(0, Headers.Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
        foreach (var row in rows)
        {
            // Text columns left-aligned, the value and the ratio right-aligned.
            var cells = row.Select((cell, c) => c is 2 or 4 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            text.AppendLine(string.Join("  ", cells).TrimEnd());
        }

        var checkedFigures = figures.Where(f => f.Target?.Passed is not null).ToArray();
        var failed = checkedFigures.Count(f => f.Target!.Passed == false);
        text.AppendLine();
        text.AppendLine(checkedFigures.Length == 0
            ? "no targets checked"
            : failed == 0
                ? $"all {checkedFigures.Length} targets passed"
                : $"{failed} of {checkedFigures.Length} targets FAILED");
        return text.ToString();
    }

    /// <summary>Whole numbers as they are, others with one decimal from 100 up and two below; NaN as "n/a".</summary>
    public static string FormatValue(double value, string unit)
    {
        if (double.IsNaN(value))
        {
            return "n/a";
        }

        var format = value == Math.Floor(value) && !double.IsInfinity(value) ? "F0" : Math.Abs(value) >= 100 ? "F1" : "F2";
        var number = value.ToString(format, CultureInfo.InvariantCulture);
        return unit.Length == 0 ? number : $"{number} {unit}";
    }

    public static string FormatRatio(double ratio) =>
        double.IsNaN(ratio) ? "n/a" : ratio.ToString("F2", CultureInfo.InvariantCulture);
}
