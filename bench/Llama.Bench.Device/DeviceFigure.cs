using System.Globalization;

namespace Llama.Bench.Device;

/// <summary>
/// One measured figure: its value and unit, what it is relative to (a ratio to something measured in the same run),
/// and its verdict: "ok" or "miss" against a target, "FAIL" for a broken check, "info" otherwise.
/// </summary>
internal sealed record DeviceFigure(string Name, double Value, string Unit, string Relation, string Verdict)
{
    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"FIGURE {Verdict,-4} {Name,-52} {Value,12:F2} {Unit,-6} {Relation}");

    public string TsvLine() => string.Create(CultureInfo.InvariantCulture, $"{Verdict}\t{Name}\t{Value:G6}\t{Unit}\t{Relation}");

    /// <summary>"ok" when <paramref name="value"/> reaches <paramref name="target"/>, else "miss".</summary>
    public static string Against(double value, double target) => value >= target ? "ok" : "miss";
}
