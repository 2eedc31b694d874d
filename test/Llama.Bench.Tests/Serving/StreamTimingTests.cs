using System.Diagnostics;
using Llama.Bench.Serving;

namespace Llama.Bench.Tests.Serving;

public class StreamTimingTests
{
    private static long At(double seconds) => (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void Decode_rate_counts_the_tokens_after_the_first_over_the_time_from_first_to_last()
    {
        var stream = new StreamTiming(At(0.5), At(1), At(3), Tokens: 11);

        Assert.Equal(5, stream.DecodeRate, 9);
        Assert.Equal(0.5, stream.TimeToFirstToken, 9);
    }

    [Fact]
    public void A_stream_of_one_token_has_no_decode_rate()
    {
        Assert.True(double.IsNaN(new StreamTiming(At(0), At(1), At(1), Tokens: 1).DecodeRate));
    }

    [Fact]
    public void Aggregate_rate_spans_the_earliest_first_token_to_the_latest_last_token()
    {
        StreamTiming[] streams =
        [
            new(At(0), At(1), At(3), Tokens: 11),
            new(At(0), At(2), At(5), Tokens: 7),
        ];

        // (10 + 6) tokens after the firsts over the 4 s from 1 s to 5 s.
        Assert.Equal(4, StreamTiming.AggregateDecodeRate(streams), 9);
    }

    [Fact]
    public void Aggregate_rate_of_nothing_is_not_a_number()
    {
        Assert.True(double.IsNaN(StreamTiming.AggregateDecodeRate([])));
        Assert.True(double.IsNaN(StreamTiming.AggregateDecodeRate([new StreamTiming(At(0), At(1), At(1), Tokens: 1)])));
    }

    [Fact]
    public void A_token_clock_counts_tokens_in_order_and_takes_a_known_total_instead()
    {
        var clock = new TokenClock();
        clock.Token();
        clock.Token();
        clock.Token();

        var counted = clock.Finish();
        Assert.Equal(3, counted.Tokens);
        Assert.True(counted.Submitted <= counted.FirstToken && counted.FirstToken <= counted.LastToken);
        Assert.Equal(17, clock.Finish(tokens: 17).Tokens);
    }

    [Fact]
    public void A_stream_without_tokens_is_an_error()
    {
        Assert.Throws<BenchException>(() => new TokenClock().Finish());
    }
}
