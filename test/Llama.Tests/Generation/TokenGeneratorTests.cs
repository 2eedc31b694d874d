using Llama.Checkpoints;
using Llama.Generation;
using Llama.Model;

namespace Llama.Tests.Generation;

public sealed class TokenGeneratorTests : IDisposable
{
    private static readonly GreedyReference Reference = GreedyReference.Load();
    private readonly Transformer _model;
    private readonly TokenGenerator _generator;

    public TokenGeneratorTests()
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        _model = Transformer.Load(checkpoint, checkpoint.Args, Reference.MaxSeqLen, 8, new EngineOptions());
        _generator = new TokenGenerator(_model, Reference.StopTokens.ToHashSet());
    }

    public void Dispose() => _model.Dispose();

    private static GenerationOptions Greedy(int maxGenLen) => new() { Temperature = 0, MaxGenLen = maxGenLen };

    [Fact]
    public void Greedy_generation_matches_every_reference_case_token_for_token()
    {
        foreach (var c in Reference.Cases)
        {
            var result = _generator.Generate([c.PromptIds], Greedy(c.MaxNewTokens))[0];

            // For "stop" cases the reference ends before the stop token, as Meta's output does.
            Assert.Equal(c.GeneratedIds, result.Tokens);
            Assert.Equal(c.StopReason == "stop" ? FinishReason.Stop : FinishReason.Length, result.FinishReason);
        }
    }

    [Fact]
    public void A_batch_of_different_prompts_gives_each_the_tokens_it_gets_alone()
    {
        var cases = Reference.Cases.Take(8).ToArray();
        var results = _generator.Generate(cases.Select(c => (IReadOnlyList<int>)c.PromptIds).ToArray(), Greedy(100));

        for (var i = 0; i < cases.Length; i++)
        {
            var alone = _generator.Generate([cases[i].PromptIds], Greedy(100))[0];
            Assert.Equal(alone.Tokens, results[i].Tokens);
            Assert.Equal(cases[i].GeneratedIds.Take(alone.Tokens.Count), results[i].Tokens);
        }
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_seeds_differ()
    {
        var prompt = Reference.Cases[1].PromptIds;
        var options = new GenerationOptions { Temperature = 0.8f, TopP = 0.9f, MaxGenLen = 60, Seed = 42 };

        var first = _generator.Generate([prompt], options)[0].Tokens;
        var second = _generator.Generate([prompt], options)[0].Tokens;
        var other = _generator.Generate([prompt], options with { Seed = 7 })[0].Tokens;

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Logprobs_are_log_softmax_of_the_reference_logits_and_echo_returns_the_prompt()
    {
        var logits = Model.ReferenceLogits.Load();
        var ids = logits.PromptIds;
        var result = _generator.Generate([ids], new GenerationOptions { Temperature = 0, MaxGenLen = 3, Logprobs = true, Echo = true })[0];

        Assert.Equal(ids, result.Tokens.Take(ids.Length));
        Assert.Equal(ids.Length + 3, result.Logprobs!.Count);
        Assert.Equal(0f, result.Logprobs[0]);
        for (var p = 1; p <= ids.Length; p++)
        {
            var token = result.Tokens[p];
            var expected = Sampler.LogProbability(logits.Logits[p - 1], token);
            Assert.Equal(expected, result.Logprobs[p], 1e-4f);
        }

        // Greedy tokens are the most likely ones: their log-probabilities are the largest of each row.
        Assert.All(result.Logprobs.Skip(ids.Length), lp => Assert.InRange(lp, -10f, 0f));
    }

    [Fact]
    public void Max_gen_len_defaults_to_the_context_and_never_passes_it()
    {
        var c = Reference.Cases[0];
        var prompt = c.PromptIds.Concat(c.GeneratedIds).ToArray();
        var result = _generator.Generate([prompt], new GenerationOptions { Temperature = 0 })[0];

        var budget = Reference.MaxSeqLen - prompt.Length;
        Assert.True(result.GeneratedTokens <= budget);
        if (result.FinishReason == FinishReason.Length)
        {
            Assert.Equal(budget, result.GeneratedTokens);
        }

        var full = _generator.Generate([[1]], new GenerationOptions { Temperature = 0, MaxGenLen = 1000 })[0];
        Assert.True(full.GeneratedTokens <= Reference.MaxSeqLen - 1);
        Assert.Equal(c.GeneratedIds.Take(full.Tokens.Count), full.Tokens.Take(c.GeneratedIds.Length));
    }

    [Fact]
    public void Bad_requests_name_the_numbers()
    {
        Assert.Contains("Prompt of 513 tokens exceeds max_seq_len 512", Assert.Throws<ArgumentException>(() =>
            _generator.Generate([Enumerable.Repeat(5, 513).ToArray()], Greedy(1))).Message);
        Assert.Contains("Batch of 9 prompts exceeds max_batch_size 8", Assert.Throws<ArgumentException>(() =>
            _generator.Generate(Enumerable.Repeat<IReadOnlyList<int>>([1], 9).ToArray(), Greedy(1))).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => _generator.Generate([Array.Empty<int>()], Greedy(1))).Message);
        Assert.Contains("top_p", Assert.Throws<ArgumentException>(() =>
            _generator.Generate([[1]], new GenerationOptions { TopP = 0 })).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentException>(() =>
            _generator.Generate([[1]], new GenerationOptions { Temperature = -1 })).Message);
    }

    [Fact]
    public void Cancellation_stops_between_steps()
    {
        using var cts = new CancellationTokenSource();
        var seen = 0;
        Assert.Throws<OperationCanceledException>(() => _generator.Generate([[1]], Greedy(200), (_, _) =>
        {
            if (++seen == 5)
            {
                cts.Cancel();
            }
        }, cts.Token));
        Assert.Equal(5, seen);
    }
}
