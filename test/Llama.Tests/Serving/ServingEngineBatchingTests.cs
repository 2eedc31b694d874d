using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Llama.Generation;
using Llama.Serving;

namespace Llama.Tests.Serving;

public sealed class ServingEngineBatchingTests : IDisposable
{
    private readonly LlamaGenerator _reference = Stories.Build();
    private readonly LlamaGenerator _served = Stories.Build();

    public void Dispose()
    {
        _reference.Dispose();
        _served.Dispose();
    }

    private int[] Prompt(int i) => Stories.Prompt(_served, Stories.Texts[i]);

    [Fact]
    public async Task Concurrent_turns_with_mixed_prompts_and_options_get_the_tokens_each_gets_alone()
    {
        GenerationOptions[] options =
        [
            Stories.Greedy(40), Stories.Sampled(60, 7), Stories.Greedy(25), Stories.Sampled(35, 11), Stories.Greedy(50),
            Stories.Sampled(45, 3) with { TopP = 0.5f },
        ];
        using var engine = new ServingEngine(_served.Generator);
        using var batches = new BatchSizeListener(engine);

        var turns = await Stories.WhileHeld(engine, () => options.Select((o, i) => engine.Run($"c{i}", Prompt(i), o)).ToArray());
        var outcomes = await Task.WhenAll(turns);
        Assert.True(engine.Drop("gate"));

        for (var i = 0; i < options.Length; i++)
        {
            var alone = Stories.Alone(_reference, Prompt(i), options[i]);
            Assert.Equal(alone.Tokens, outcomes[i].Tokens);
            Assert.Equal(alone.FinishReason, outcomes[i].FinishReason);
            var held = Stories.Held(Prompt(i), outcomes[i]);
            Assert.Equal(Prompt(i).Length + alone.GeneratedTokens - 1, outcomes[i].CachedTokens);
            Assert.Equal(TokenHash.Of(held), outcomes[i].CachedHash);
        }

        var stats = engine.Statistics();
        Assert.Equal(options.Length + 1, stats.Turns);
        Assert.Equal(1 + outcomes.Sum(o => (long)o.Tokens.Count + (o.FinishReason == FinishReason.Stop ? 1 : 0)), stats.GeneratedTokens);
        Assert.Equal(0, stats.ActiveSequences);
        Assert.Equal(0, stats.QueueLength);
        Assert.Equal(options.Length, stats.CachedSequences);
        // The turns really ran together: some step carried all of them.
        Assert.Equal(options.Length, batches.Sizes.Max());
    }

    [Fact]
    public async Task Turns_joining_while_others_decode_get_the_tokens_each_gets_alone()
    {
        using var engine = new ServingEngine(_served.Generator);
        var first = new List<int>();
        var joined = new List<Task<TurnOutcome>>();
        var firstTokensWhenOthersStarted = new ConcurrentBag<int>();

        var running = engine.Run("first", Prompt(0), Stories.Greedy(80), onToken: token =>
        {
            first.Add(token);
            if (first.Count is 10 or 30)
            {
                var index = joined.Count + 1;
                joined.Add(engine.Run($"joined{index}", Prompt(index), index == 1 ? Stories.Greedy(30) : Stories.Sampled(30, 5),
                    onToken: _ => firstTokensWhenOthersStarted.Add(first.Count)));
            }
        });
        var outcome = await running;
        var others = await Task.WhenAll(joined);

        Assert.Equal(Stories.Alone(_reference, Prompt(0), Stories.Greedy(80)).Tokens, outcome.Tokens);
        Assert.Equal(Stories.Alone(_reference, Prompt(1), Stories.Greedy(30)).Tokens, others[0].Tokens);
        Assert.Equal(Stories.Alone(_reference, Prompt(2), Stories.Sampled(30, 5)).Tokens, others[1].Tokens);
        // They generated while the first turn was still generating.
        Assert.Contains(firstTokensWhenOthersStarted, n => n < outcome.Tokens.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_prompt_longer_than_the_prefill_chunk_is_computed_over_several_steps_with_the_same_tokens(int prefillFirstSteps)
    {
        const int chunk = 8;
        using var engine = new ServingEngine(_served.Generator, new ServingOptions { PrefillChunkTokens = chunk, PrefillFirstSteps = prefillFirstSteps });
        var longPrompt = Prompt(0).Concat(Prompt(3).Skip(1)).ToArray();
        var steps = (longPrompt.Length + chunk - 1) / chunk;

        var alone = await engine.Run("long", longPrompt, Stories.Greedy(20));

        Assert.Equal(Stories.Alone(_reference, longPrompt, Stories.Greedy(20)).Tokens, alone.Tokens);
        // One step per chunk, the last of them sampling the first token, then one step per further token.
        Assert.Equal(steps + 20 - 1, engine.Statistics().DecodeSteps);
        Assert.Equal(longPrompt.Length, alone.PrefilledTokens);

        // Beside a decoding turn, the chunks share steps with its decode rows: it gets a token every step, or with
        // prefill-first steps, in one step after each run of that many chunks alone.
        // (Another prompt: this one's blocks are registered now and would be shared.)
        var otherPrompt = Prompt(3).Concat(Prompt(0).Skip(1)).ToArray();
        var otherSteps = (otherPrompt.Length + chunk - 1) / chunk;
        var decoding = new List<int>();
        var decodedBeforeLongOne = -1;
        Task<TurnOutcome>? second = null;
        var first = engine.Run("decoding", Prompt(4), Stories.Greedy(60), onToken: token =>
        {
            decoding.Add(token);
            if (decoding.Count == 1)
            {
                second = engine.Run("long2", otherPrompt, Stories.Greedy(20), onToken: _ =>
                {
                    if (decodedBeforeLongOne < 0)
                    {
                        decodedBeforeLongOne = decoding.Count;
                    }
                });
            }
        });
        var decoded = await first;
        var chunked = await second!;

        Assert.Equal(Stories.Alone(_reference, Prompt(4), Stories.Greedy(60)).Tokens, decoded.Tokens);
        Assert.Equal(Stories.Alone(_reference, otherPrompt, Stories.Greedy(20)).Tokens, chunked.Tokens);
        Assert.True(otherSteps > prefillFirstSteps + 1);
        Assert.Equal(1 + (otherSteps / (prefillFirstSteps + 1)), decodedBeforeLongOne);
    }

    /// <summary>Collects the batch-size histogram of one engine.</summary>
    private sealed class BatchSizeListener : IDisposable
    {
        private readonly MeterListener _listener = new();

        public BatchSizeListener(ServingEngine engine)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == engine && instrument.Name == ServingMetrics.BatchSize)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, value, _, _) => Sizes.Add(value));
            _listener.Start();
        }

        public ConcurrentBag<int> Sizes { get; } = [];

        public void Dispose() => _listener.Dispose();
    }
}
