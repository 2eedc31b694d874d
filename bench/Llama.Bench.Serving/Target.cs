using System.Globalization;

namespace Llama.Bench.Serving;

/// <summary>
/// What a figure is compared with, its ratio to that reference (where it has one) and whether it passed; a
/// comparison shown for information only has no verdict.
/// </summary>
internal sealed record Target(string Text, double? Ratio, bool? Passed)
{
    /// <summary>Shows the ratio of <paramref name="value"/> to <paramref name="referenceValue"/>, with no verdict.</summary>
    public static Target Versus(double value, string reference, double referenceValue) =>
        new($"vs {reference}", value / referenceValue, null);

    /// <summary><paramref name="value"/> at least <paramref name="factor"/> times <paramref name="referenceValue"/>.</summary>
    public static Target AtLeastTimes(double value, double factor, string reference, double referenceValue) =>
        Relative(value, factor, reference, referenceValue, atLeast: true);

    /// <summary><paramref name="value"/> at most <paramref name="factor"/> times <paramref name="referenceValue"/>.</summary>
    public static Target AtMostTimes(double value, double factor, string reference, double referenceValue) =>
        Relative(value, factor, reference, referenceValue, atLeast: false);

    public static Target Above(double value, double bound) =>
        new(string.Create(CultureInfo.InvariantCulture, $"> {bound:0.##}"), null, value > bound);

    public static Target EqualTo(double value, double expected) =>
        new(string.Create(CultureInfo.InvariantCulture, $"= {expected:0.##}"), null, value == expected);

    private static Target Relative(double value, double factor, string reference, double referenceValue, bool atLeast)
    {
        var ratio = value / referenceValue;
        // NaN (a missing or zero reference) fails either way.
        var passed = atLeast ? ratio >= factor : ratio <= factor;
        var text = string.Create(CultureInfo.InvariantCulture, $"{(atLeast ? ">=" : "<=")} {factor:0.00}x {reference}");
        return new Target(text, ratio, passed);
    }
}
