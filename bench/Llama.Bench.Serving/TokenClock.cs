using System.Diagnostics;

namespace Llama.Bench.Serving;

/// <summary>
/// Times one stream as its tokens arrive. Started when the stream is submitted; <see cref="Token"/> runs on
/// whichever single thread delivers the tokens, <see cref="Finish"/> once the stream has completed.
/// </summary>
internal sealed class TokenClock
{
    private readonly long _submitted = Stopwatch.GetTimestamp();
    private long _first;
    private long _last;
    private int _tokens;

    public void Token()
    {
        var now = Stopwatch.GetTimestamp();
        if (_tokens == 0)
        {
            _first = now;
        }

        _last = now;
        _tokens++;
    }

    /// <summary>The stream's timing; <paramref name="tokens"/> overrides the count of <see cref="Token"/> calls
    /// where tokens arrive in pieces whose count is known only at the end.</summary>
    public StreamTiming Finish(int? tokens = null) => _tokens == 0
        ? throw new BenchException("A stream completed without producing a token.")
        : new StreamTiming(_submitted, _first, _last, tokens ?? _tokens);
}
