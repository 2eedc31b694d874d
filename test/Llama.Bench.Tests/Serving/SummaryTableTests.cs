using Llama.Bench.Serving;

namespace Llama.Bench.Tests.Serving;

public class SummaryTableTests
{
    private static string[] Cells(string line) => line.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Shows_each_figure_with_its_target_ratio_and_verdict()
    {
        Figure[] figures =
        [
            new("engine", "1-stream decode", 36.126, "tok/s"),
            new("engine", "32-stream aggregate decode", 190.5, "tok/s", Target.AtLeastTimes(190.5, 5, "1-stream", 36.126)),
            new("multiturn", "TTFT p50, turn 20, no reuse", 2400, "ms", Target.Versus(2400, "turn 1", 600)),
            new("memory", "evictions, constrained", 0, "", Target.Above(0, 0)),
        ];

        var lines = SummaryTable.Render(["host: test"], figures).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

        Assert.Equal("host: test", lines[0]);
        Assert.Equal(["section", "figure", "value", "target", "ratio", "result"], Cells(lines[2]));
        Assert.Equal(["engine", "1-stream decode", "36.13 tok/s", "-", "-", "-"], Cells(lines[3]));
        Assert.Equal(["engine", "32-stream aggregate decode", "190.5 tok/s", ">= 5.00x 1-stream", "5.27", "PASS"], Cells(lines[4]));
        Assert.Equal(["multiturn", "TTFT p50, turn 20, no reuse", "2400 ms", "vs turn 1", "4.00", "-"], Cells(lines[5]));
        Assert.Equal(["memory", "evictions, constrained", "0", "> 0", "-", "FAIL"], Cells(lines[6]));
        Assert.Contains("1 of 2 targets FAILED", lines);
    }

    [Fact]
    public void Columns_line_up()
    {
        Figure[] figures = [new("engine", "a", 1.5, "x"), new("orleans", "a much longer figure name", 12345.26, "tok/s", Target.EqualTo(1, 1))];

        var rows = SummaryTable.Render([], figures).Split('\n').Where(l => l.StartsWith("engine", StringComparison.Ordinal) || l.StartsWith("orleans", StringComparison.Ordinal)).ToArray();

        // The right-aligned value column ends at the same place on every row.
        Assert.Equal(rows[0].IndexOf("1.50 x", StringComparison.Ordinal) + "1.50 x".Length, rows[1].IndexOf("12345.3 tok/s", StringComparison.Ordinal) + "12345.3 tok/s".Length);
        Assert.Contains("all 1 targets passed", SummaryTable.Render([], figures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(73728, "B", "73728 B")]
    [InlineData(36.126, "tok/s", "36.13 tok/s")]
    [InlineData(797.84, "ms", "797.8 ms")]
    [InlineData(2, "", "2")]
    [InlineData(double.NaN, "tok/s", "n/a")]
    public void Formats_whole_numbers_plainly_and_others_by_size(double value, string unit, string text)
    {
        Assert.Equal(text, SummaryTable.FormatValue(value, unit));
    }
}
