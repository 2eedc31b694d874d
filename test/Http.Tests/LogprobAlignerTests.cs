using LlamaOrleans.Http.Generation;

namespace LlamaOrleans.Http.Tests;

/// <summary>Per-token log-probabilities follow the text that stop sequences hold back and cut.</summary>
public sealed class LogprobAlignerTests
{
    private static LogprobToken Token(int id, string text) => new() { Token = id, Text = text, Logprob = -id };

    [Fact]
    public void Tokens_go_with_the_text_the_stop_filter_releases_and_a_stop_cuts_the_last_one()
    {
        var stops = new StopSequenceFilter(["END"]);
        var aligner = new LogprobAligner();
        var sent = new List<(string Text, string[] Tokens)>();
        void Piece(string text, params LogprobToken[] tokens)
        {
            aligner.Add(tokens);
            var released = stops.Add(text);
            sent.Add((released, [.. aligner.Sent(released.Length).Select(t => t.Text)]));
        }

        Piece("Hello", Token(1, "Hello"));
        // "E" could start "END": held back, and the token " E" with it.
        Piece(" E", Token(2, " E"));
        Piece("ver", Token(3, "ver"));
        // The stop starts inside " wEND": the text and that token end before it.
        var last = stops.Add(" wEND!");
        aligner.Add([Token(4, " wEND"), Token(5, "!")]);
        var end = aligner.End(last.Length, stopped: true);

        Assert.Equal([("Hello", new[] { "Hello" }), (" ", Array.Empty<string>()), ("Ever", new[] { " E", "ver" })],
            sent.Select(s => (s.Text, s.Tokens)));
        Assert.Equal(" w", last);
        Assert.Equal([" w"], end.Select(t => t.Text));
        Assert.Equal(4, end[0].Token);
    }

    [Fact]
    public void A_token_without_text_waits_for_text_after_it_and_is_dropped_by_a_stop_right_there()
    {
        var aligner = new LogprobAligner();
        aligner.Add([Token(1, "a"), Token(2, string.Empty)]);
        Assert.Equal([1], aligner.Sent(1).Select(t => t.Token));
        Assert.Empty(aligner.End(0, stopped: true));

        var ended = new LogprobAligner();
        ended.Add([Token(1, "a"), Token(2, string.Empty), Token(3, "€")]);
        Assert.Equal([1], ended.Sent(1).Select(t => t.Token));
        Assert.Equal([2, 3], ended.Sent(1).Select(t => t.Token));
        ended.Add([Token(4, string.Empty)]);
        Assert.Equal([4], ended.End(0, stopped: false).Select(t => t.Token));
    }
}
