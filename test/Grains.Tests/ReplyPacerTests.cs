using LlamaOrleans.Grains;

namespace LlamaOrleans.Tests.Grains;

public sealed class ReplyPacerTests
{
    private static readonly WorkerResult Result = new() { Tokens = [1, 2, 3], Text = "abc", FinishReason = "stop" };

    [Fact]
    public void The_first_token_goes_at_once_and_later_ones_gather_until_the_interval_has_passed()
    {
        var clock = new ManualClock();
        var pacer = new ReplyPacer(TimeSpan.FromMilliseconds(50), clock);

        var first = pacer.Add("Once");
        Assert.Equal(("Once", 1), (first?.Text, first?.TokenCount));

        clock.Advance(TimeSpan.FromMilliseconds(20));
        Assert.Null(pacer.Add(" upon"));
        clock.Advance(TimeSpan.FromMilliseconds(20));
        Assert.Null(pacer.Add(" a"));
        clock.Advance(TimeSpan.FromMilliseconds(20));
        var second = pacer.Add(" time");
        Assert.Equal((" upon a time", 3), (second?.Text, second?.TokenCount));

        clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Null(pacer.Add(","));
        var last = pacer.Finish(" there", Result);
        Assert.Equal((", there", 1), (last.Text, last.TokenCount));
        Assert.Same(Result, last.Completed);
    }

    [Fact]
    public void A_zero_interval_sends_every_token_alone()
    {
        var pacer = new ReplyPacer(TimeSpan.Zero, new ManualClock());
        var pieces = new[] { "a", "b", "c" }.Select(t => pacer.Add(t)).ToList();
        Assert.All(pieces, p => Assert.Equal(1, p?.TokenCount));
        Assert.Equal("abc", string.Concat(pieces.Select(p => p!.Text)));
        var last = pacer.Finish(string.Empty, Result);
        Assert.Equal((string.Empty, 0), (last.Text, last.TokenCount));
    }

    [Fact]
    public void Text_held_back_for_the_interval_is_never_lost()
    {
        var pacer = new ReplyPacer(TimeSpan.FromHours(1), new ManualClock());
        var sent = new List<string>();
        foreach (var piece in new[] { "The", " dog", " ran", "." })
        {
            if (pacer.Add(piece) is { } e)
            {
                sent.Add(e.Text);
            }
        }

        sent.Add(pacer.Finish("\n", Result).Text);
        Assert.Equal(["The", " dog ran.\n"], sent);
    }

    [Fact]
    public void Tokens_without_text_yet_wait_so_each_event_carries_the_logprobs_of_its_text()
    {
        var pacer = new ReplyPacer(TimeSpan.Zero, new ManualClock());
        LogprobToken Token(int id, string text) => new() { Token = id, Text = text, Logprob = -id };

        var first = pacer.Add("A", Token(1, "A"));
        Assert.Equal(["A"], first!.Logprobs!.Select(t => t.Text));
        // The first two bytes of "€" show nothing: they go with the byte that completes it.
        Assert.Null(pacer.Add(string.Empty, Token(2, string.Empty)));
        Assert.Null(pacer.Add(string.Empty, Token(3, string.Empty)));
        var euro = pacer.Add("€", Token(4, "€"));
        Assert.Equal(("€", 3), (euro!.Text, euro.TokenCount));
        Assert.Equal([2, 3, 4], euro.Logprobs!.Select(t => t.Token));
        Assert.Equal("€", string.Concat(euro.Logprobs!.Select(t => t.Text)));

        // A character left unfinished at the end is the decoder's tail: it belongs to the last tokens.
        Assert.Null(pacer.Add(string.Empty, Token(5, string.Empty)));
        var last = pacer.Finish("\uFFFD", Result);
        Assert.Equal(("\uFFFD", 1), (last.Text, last.TokenCount));
        Assert.Equal("\uFFFD", Assert.Single(last.Logprobs!).Text);
        Assert.Null(new ReplyPacer(TimeSpan.Zero, new ManualClock()).Add("x")!.Logprobs);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
