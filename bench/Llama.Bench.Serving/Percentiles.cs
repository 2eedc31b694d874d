namespace Llama.Bench.Serving;

internal static class Percentiles
{
    /// <summary>
    /// The <paramref name="percent"/>th percentile by linear interpolation between the two nearest ranks
    /// (numpy's default): rank p/100 · (n − 1) of the sorted values.
    /// </summary>
    public static double Of(IReadOnlyList<double> values, double percent)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("Percentile of no values.", nameof(values));
        }

        if (!(percent is >= 0 and <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "A percentile is between 0 and 100.");
        }

        var sorted = values.Order().ToArray();
        var rank = percent / 100 * (sorted.Length - 1);
        var below = (int)Math.Floor(rank);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((rank - below) * (sorted[above] - sorted[below]));
    }
}
