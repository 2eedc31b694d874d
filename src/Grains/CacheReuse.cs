namespace LlamaOrleans.Grains;

/// <summary>How much of a worker's cached tokens a new prompt can keep.</summary>
public static class CacheReuse
{
    /// <summary>Shortest run of kept tokens worth a context shift rather than recomputing them.</summary>
    public const int MinShiftTokens = 8;

    /// <summary>
    /// The cache edit for <paramref name="prompt"/>: reuse the common prefix of <paramref name="cached"/> and the
    /// prompt; with <paramref name="shift"/>, when the prompt goes on with tokens the cache holds further on (the
    /// oldest turns were trimmed), drop the tokens in between and keep that run too, shifted down.
    /// </summary>
    /// <returns>Where to drop how many cached tokens (0 when none), and how many tokens of the edited cache to reuse.</returns>
    public static (int ShiftFrom, int ShiftCount, int Reuse) Plan(IReadOnlyList<int> cached, IReadOnlyList<int> prompt, bool shift)
    {
        var prefix = CommonPrefix(cached, 0, prompt, 0);
        if (!shift || prefix == prompt.Count || prefix == cached.Count)
        {
            return (0, 0, prefix);
        }

        var (bestFrom, bestLength) = (0, 0);
        for (var from = prefix + 1; from < cached.Count; from++)
        {
            var length = CommonPrefix(cached, from, prompt, prefix);
            if (length > bestLength)
            {
                (bestFrom, bestLength) = (from, length);
            }
        }

        return bestLength >= MinShiftTokens ? (prefix, bestFrom - prefix, prefix + bestLength) : (0, 0, prefix);
    }

    private static int CommonPrefix(IReadOnlyList<int> a, int aStart, IReadOnlyList<int> b, int bStart)
    {
        var n = 0;
        while (aStart + n < a.Count && bStart + n < b.Count && a[aStart + n] == b[bStart + n])
        {
            n++;
        }

        return n;
    }
}
