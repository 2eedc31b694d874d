using System.Diagnostics;

namespace Llama.Bench.Serving;

/// <summary>
/// One stream (an engine request or a conversation turn), in <see cref="Stopwatch"/> timestamps: when it was
/// submitted, when its first and last tokens arrived, and how many tokens it sampled (a stop token included:
/// each token after the first cost one decode step).
/// </summary>
internal sealed record StreamTiming(long Submitted, long FirstToken, long LastToken, int Tokens)
{
    /// <summary>Seconds from submission to the first token.</summary>
    public double TimeToFirstToken => Seconds(Submitted, FirstToken);

    /// <summary>Tokens after the first over the time from the first to the last; NaN for fewer than two tokens.</summary>
    public double DecodeRate => Tokens >= 2 && LastToken > FirstToken ? (Tokens - 1) / Seconds(FirstToken, LastToken) : double.NaN;

    public static double Seconds(long from, long to) => (double)(to - from) / Stopwatch.Frequency;

    /// <summary>
    /// Decode throughput of streams running together: every stream's tokens after its first, over the time from
    /// the earliest first token to the latest last token. NaN when that is no time or no such token.
    /// </summary>
    public static double AggregateDecodeRate(IReadOnlyList<StreamTiming> streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        if (streams.Count == 0)
        {
            return double.NaN;
        }

        var tokens = streams.Sum(s => Math.Max(0, s.Tokens - 1));
        var seconds = Seconds(streams.Min(s => s.FirstToken), streams.Max(s => s.LastToken));
        return tokens > 0 && seconds > 0 ? tokens / seconds : double.NaN;
    }
}
