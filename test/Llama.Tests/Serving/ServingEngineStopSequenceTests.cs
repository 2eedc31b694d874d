using Llama.Generation;
using Llama.Serving;

namespace Llama.Tests.Serving;

/// <summary>Stop sequences end a turn in the engine: generation stops at the token that completes one.</summary>
public sealed class ServingEngineStopSequenceTests : IDisposable
{
    private readonly LlamaGenerator _served = Stories.Build();

    public void Dispose() => _served.Dispose();

    [Fact]
    public async Task A_stop_sequence_ends_the_turn_at_the_token_that_completes_it_and_frees_its_place()
    {
        using var engine = new ServingEngine(_served.Generator);
        var prompt = Stories.Prompt(_served, Stories.Texts[2]);
        var free = await engine.Run("free", prompt, Stories.Greedy(40));
        Assert.Equal(40, free.Tokens.Count);
        var text = _served.Tokenizer.Decode(free.Tokens);
        // Four characters from the middle of the third word on: a sequence that may span tokens.
        var third = text.IndexOf(text.Trim().Split(' ')[2], StringComparison.Ordinal);
        var stop = text.Substring(third + 1, 4);
        // The reference: the shortest start of the free reply whose whole decode contains the sequence.
        var expected = Enumerable.Range(1, free.Tokens.Count).First(n => _served.Tokenizer.Decode([.. free.Tokens.Take(n)]).Contains(stop, StringComparison.Ordinal));
        Assert.InRange(expected, 1, 30);

        var before = engine.Statistics().GeneratedTokens;
        var notified = 0;
        var outcome = await engine.RunAsync(
            new TurnRequest("stopped", prompt, Stories.Greedy(40)) { Stop = new StopSequences(_served.Tokenizer, ["never in a story \u00e9", stop]) },
            _ => notified++).WaitAsync(Stories.Timeout);

        Assert.Equal(FinishReason.Stop, outcome.FinishReason);
        Assert.Equal(free.Tokens.Take(expected), outcome.Tokens);
        Assert.Equal(expected, notified);
        Assert.Equal(expected, engine.Statistics().GeneratedTokens - before);
        // The cache holds the prompt and the reply but its last token, as after any turn that ends by itself.
        Assert.Equal(prompt.Length + expected - 1, outcome.CachedTokens);
        Assert.Equal(TokenHash.Of(Stories.Held(prompt, outcome)), outcome.CachedHash);
        Assert.Equal(0, engine.Statistics().ActiveSequences);
    }

    [Fact]
    public async Task A_sequence_the_reply_never_contains_lets_it_run_to_its_budget()
    {
        using var engine = new ServingEngine(_served.Generator);
        var prompt = Stories.Prompt(_served, Stories.Texts[1]);
        var free = await engine.Run("free", prompt, Stories.Greedy(12));

        var outcome = await engine.RunAsync(new TurnRequest("other", prompt, Stories.Greedy(12)) { Stop = new StopSequences(_served.Tokenizer, ["\u00e9\u00e9"]) })
            .WaitAsync(Stories.Timeout);

        Assert.Equal(free.FinishReason, outcome.FinishReason);
        Assert.Equal(free.Tokens, outcome.Tokens);
    }

    [Fact]
    public void No_sequence_or_an_empty_one_is_refused()
    {
        using var engine = new ServingEngine(_served.Generator);
        Action Run(params string[] stops) => () => engine.RunAsync(new TurnRequest("c", [1], Stories.Greedy(5)) { Stop = new StopSequences(_served.Tokenizer, stops) });

        Assert.Contains("Stop sequences", Assert.Throws<ArgumentException>(Run()).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(Run("a", "")).Message);
        Assert.Equal(0, engine.Statistics().QueueLength);
    }
}
