using Llama.Generation;
using Llama.Serving;
using Llama.Tests.Model;

namespace Llama.Tests.Serving;

/// <summary>Log-probabilities of generated tokens: Meta's log_softmax of the raw logits, and only for the turns that ask.</summary>
public sealed class ServingEngineLogprobsTests : IDisposable
{
    private readonly LlamaGenerator _reference = Stories.Build();
    private readonly LlamaGenerator _served = Stories.Build();

    public void Dispose()
    {
        _reference.Dispose();
        _served.Dispose();
    }

    [Fact]
    public async Task The_first_token_logprob_and_top_tokens_are_log_softmax_of_the_reference_logits()
    {
        var reference = ReferenceLogits.Load();
        var expected = LogSoftmax(reference.Logits[^1]);
        var ranked = Enumerable.Range(0, expected.Length).OrderByDescending(t => expected[t]).ThenBy(t => t).Take(5).ToArray();
        using var engine = new ServingEngine(_served.Generator);
        var streamed = new List<(int Token, TokenLogprobs? Logprobs)>();

        var outcome = await engine.RunAsync(new TurnRequest("once", reference.PromptIds, Stories.Greedy(8) with { Logprobs = true }) { TopLogprobs = 5 },
            (token, logprobs) => streamed.Add((token, logprobs))).WaitAsync(Stories.Timeout);

        var first = outcome.Logprobs![0];
        Assert.Equal(ranked[0], outcome.Tokens[0]);
        Assert.Equal(ranked[0], first.Token);
        Assert.Equal(expected[ranked[0]], first.Logprob, 1e-4);
        Assert.Equal(ranked, first.Top.Select(t => t.Token));
        for (var i = 0; i < ranked.Length; i++)
        {
            Assert.Equal(expected[ranked[i]], first.Top[i].Logprob, 1e-4);
        }

        // Every later greedy token is its step's most likely one, and the callback saw exactly what the outcome holds.
        Assert.Equal(outcome.Tokens.Count, outcome.Logprobs.Count);
        Assert.All(outcome.Logprobs, lp =>
        {
            Assert.Equal(5, lp.Top.Count);
            Assert.Equal(lp.Token, lp.Top[0].Token);
            Assert.Equal(lp.Logprob, lp.Top[0].Logprob);
            Assert.True(lp.Top.Zip(lp.Top.Skip(1)).All(p => p.First.Logprob >= p.Second.Logprob));
            Assert.InRange(lp.Logprob, float.NegativeInfinity, 0f);
        });
        Assert.Equal(outcome.Tokens, streamed.Take(outcome.Tokens.Count).Select(s => s.Token));
        Assert.Equal(outcome.Logprobs, streamed.Take(outcome.Tokens.Count).Select(s => s.Logprobs));
    }

    [Fact]
    public async Task Sampled_tokens_get_Meta_logprobs_of_the_raw_logits_not_the_temperature_scaled_ones()
    {
        var prompt = Stories.Prompt(_served, Stories.Texts[2]);
        var options = Stories.Sampled(30, 42) with { Temperature = 1.5f, Logprobs = true };
        using var engine = new ServingEngine(_served.Generator);

        var outcome = await engine.RunAsync(new TurnRequest("sampled", prompt, options)).WaitAsync(Stories.Timeout);
        var alone = Stories.Alone(_reference, prompt, options);

        Assert.Equal(alone.Tokens, outcome.Tokens);
        Assert.Equal(alone.Logprobs!.Count, outcome.Logprobs!.Count);
        for (var i = 0; i < alone.Logprobs.Count; i++)
        {
            Assert.Equal(alone.Logprobs[i], outcome.Logprobs[i].Logprob, 1e-4);
            Assert.Empty(outcome.Logprobs[i].Top);
        }
    }

    [Fact]
    public async Task A_turn_with_logprobs_beside_one_without_gets_the_tokens_each_gets_alone()
    {
        var prompts = new[] { Stories.Prompt(_served, Stories.Texts[0]), Stories.Prompt(_served, Stories.Texts[3]) };
        var options = new[] { Stories.Greedy(30) with { Logprobs = true }, Stories.Sampled(30, 9) };
        using var engine = new ServingEngine(_served.Generator);
        var withoutCallbacks = new List<TokenLogprobs?>();

        var turns = await Stories.WhileHeld(engine, () => new[]
        {
            engine.RunAsync(new TurnRequest("with", prompts[0], options[0]) { TopLogprobs = 3 }),
            engine.RunAsync(new TurnRequest("without", prompts[1], options[1]), (_, logprobs) => withoutCallbacks.Add(logprobs)),
        });
        var outcomes = await Task.WhenAll(turns).WaitAsync(Stories.Timeout);

        // Sequentially, on a fresh engine: the same tokens, and the same logprobs within float tolerance.
        using var sequential = new ServingEngine(_reference.Generator);
        var alone = await sequential.RunAsync(new TurnRequest("with", prompts[0], options[0]) { TopLogprobs = 3 }).WaitAsync(Stories.Timeout);
        Assert.Equal(alone.Tokens, outcomes[0].Tokens);
        Assert.Equal(Stories.Alone(_reference, prompts[1], options[1]).Tokens, outcomes[1].Tokens);
        for (var i = 0; i < alone.Tokens.Count; i++)
        {
            Assert.Equal(alone.Logprobs![i].Logprob, outcomes[0].Logprobs![i].Logprob, 1e-4);
            Assert.Equal(alone.Logprobs[i].Top.Select(t => t.Token), outcomes[0].Logprobs![i].Top.Select(t => t.Token));
        }

        Assert.Null(outcomes[1].Logprobs);
        Assert.NotEmpty(withoutCallbacks);
        Assert.All(withoutCallbacks, Assert.Null);
    }

    [Fact]
    public void Top_logprobs_out_of_range_or_without_logprobs_and_echo_are_refused()
    {
        using var engine = new ServingEngine(_served.Generator);
        Action Run(TurnRequest request) => () => engine.RunAsync(request);
        var greedy = Stories.Greedy(5);
        var logprobs = greedy with { Logprobs = true };
        Assert.Contains("TopLogprobs", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1], greedy) { TopLogprobs = 2 })).Message);
        Assert.Contains("TopLogprobs", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1], logprobs) { TopLogprobs = TurnRequest.MaxTopLogprobs + 1 })).Message);
        Assert.Contains("TopLogprobs", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1], logprobs) { TopLogprobs = -1 })).Message);
        Assert.Contains("echo", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1], logprobs with { Echo = true }))).Message);
        Assert.Equal(0, engine.Statistics().QueueLength);
    }

    [Fact]
    public void Top_tokens_are_ranked_by_logit_with_ties_to_the_lower_id_and_logprobs_sum_to_one()
    {
        float[] logits = [1f, 3f, -2f, 3f, 0.5f];
        var all = TokenLogprobs.Of(logits, 2, top: logits.Length);

        Assert.Equal([1, 3, 0, 4, 2], all.Top.Select(t => t.Token));
        Assert.Equal(1.0, all.Top.Sum(t => Math.Exp(t.Logprob)), 1e-6);
        var expected = LogSoftmax(logits);
        Assert.Equal(expected[2], all.Logprob, 1e-6);
        Assert.All(all.Top, t => Assert.Equal(expected[t.Token], t.Logprob, 1e-6));
        Assert.Empty(TokenLogprobs.Of(logits, 0, top: 0).Top);
        Assert.Equal([1, 3], TokenLogprobs.Of(logits, 0, top: 2).Top.Select(t => t.Token));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenLogprobs.Of(logits, 5, top: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenLogprobs.Of(logits, 0, top: 6));
    }

    /// <summary>log_softmax in double, independently of the engine.</summary>
    private static double[] LogSoftmax(IReadOnlyList<float> logits)
    {
        var max = logits.Max();
        var logSum = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
        return [.. logits.Select(l => l - logSum)];
    }
}
