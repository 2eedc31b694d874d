using Llama.Generation;
using Llama.Serving;

namespace Llama.Tests.Serving;

/// <summary>Bad requests, a full queue, cancellation, failing callbacks, dropping caches and disposal.</summary>
public sealed class ServingEngineRequestTests : IDisposable
{
    private readonly LlamaGenerator _served = Stories.Build();
    private readonly LlamaGenerator _reference = Stories.Build();

    public void Dispose()
    {
        _served.Dispose();
        _reference.Dispose();
    }

    private int[] Prompt(int i) => Stories.Prompt(_served, Stories.Texts[i]);

    [Fact]
    public void Bad_options_and_requests_are_refused_with_clear_errors()
    {
        Assert.Throws<ArgumentNullException>(() => new ServingEngine(null!));
        Assert.Contains("MaxBatchSequences", Assert.Throws<ArgumentException>(() => new ServingEngine(_served.Generator, new ServingOptions { MaxBatchSequences = 0 })).Message);
        Assert.Contains("PrefillChunkTokens", Assert.Throws<ArgumentException>(() => new ServingEngine(_served.Generator, new ServingOptions { PrefillChunkTokens = 0 })).Message);
        Assert.Contains("MaxQueuedRequests", Assert.Throws<ArgumentException>(() => new ServingEngine(_served.Generator, new ServingOptions { MaxQueuedRequests = 0 })).Message);
        using var engine = new ServingEngine(_served.Generator);
        Action Run(TurnRequest request) => () => engine.RunAsync(request);
        var greedy = Stories.Greedy(5);

        Assert.Throws<ArgumentNullException>(Run(null!));
        Assert.ThrowsAny<ArgumentException>(Run(new TurnRequest("", [1], greedy)));
        Assert.Throws<ArgumentNullException>(Run(new TurnRequest("c", null!, greedy)));
        Assert.Throws<ArgumentNullException>(Run(new TurnRequest("c", [1], null!)));
        Assert.Contains("temperature", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1], greedy with { Temperature = -1 }))).Message);
        Assert.Contains("TopLogprobs", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1], greedy) { TopLogprobs = 1 })).Message);
        Assert.Contains("echo", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1], greedy with { Echo = true }))).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [], greedy))).Message);
        Assert.Contains("ReuseTokens", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1], greedy) { ReuseTokens = -1 })).Message);
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1, 512], greedy))).Message);
        var tooLong = Assert.Throws<ArgumentException>(Run(new TurnRequest("c", new int[Stories.MaxSeqLen + 1], greedy)));
        Assert.Contains("can never fit", tooLong.Message);
        Assert.Contains("can never fit", Assert.Throws<ArgumentException>(Run(new TurnRequest("c", [1], greedy) { ReuseTokens = Stories.MaxSeqLen })).Message);

        // Nothing of that reached the engine.
        Assert.Equal(0, engine.Statistics().QueueLength);
        Assert.Equal(0, engine.Statistics().CachedSequences);
    }

    [Fact]
    public async Task A_prompt_that_fills_max_seq_len_is_computed_and_ends_at_once_for_length()
    {
        using var engine = new ServingEngine(_served.Generator);
        var prompt = Enumerable.Repeat(Prompt(0), 10).SelectMany(p => p).Take(Stories.MaxSeqLen).ToArray();

        var outcome = await engine.Run("full", prompt, Stories.Greedy(10));

        Assert.Empty(outcome.Tokens);
        Assert.Equal(FinishReason.Length, outcome.FinishReason);
        Assert.Equal(Stories.MaxSeqLen, outcome.CachedTokens);
        Assert.Equal(TokenHash.Of(prompt), outcome.CachedHash);
    }

    [Fact]
    public async Task Beyond_the_queue_limit_a_turn_is_refused_and_the_queued_ones_still_complete()
    {
        using var engine = new ServingEngine(_served.Generator, new ServingOptions { MaxBatchSequences = 1, MaxQueuedRequests = 2 });
        var queued = new List<Task<TurnOutcome>>();
        ServingQueueFullException? refused = null;
        var count = 0;

        // The callback runs on the engine thread, so nothing is admitted while it queues.
        var first = engine.Run("first", Prompt(0), Stories.Greedy(20), onToken: _ =>
        {
            if (++count == 1)
            {
                queued.Add(engine.RunAsync(new TurnRequest("q1", Prompt(1), Stories.Greedy(5))));
                queued.Add(engine.RunAsync(new TurnRequest("q2", Prompt(2), Stories.Greedy(5))));
                Assert.Equal(2, engine.Statistics().QueueLength);
                refused = engine.RunAsync(new TurnRequest("q3", Prompt(3), Stories.Greedy(5))).Exception?.InnerException as ServingQueueFullException;
            }
        });

        await first;
        var outcomes = await Task.WhenAll(queued).WaitAsync(Stories.Timeout);
        Assert.NotNull(refused);
        Assert.Contains("queue is full", refused.Message);
        Assert.Equal(Stories.Alone(_reference, Prompt(1), Stories.Greedy(5)).Tokens, outcomes[0].Tokens);
        Assert.Equal(Stories.Alone(_reference, Prompt(2), Stories.Greedy(5)).Tokens, outcomes[1].Tokens);
        Assert.Equal(3, engine.Statistics().Turns);
    }

    [Fact]
    public async Task Cancelling_a_running_turn_removes_it_and_drops_its_cache_while_others_go_on()
    {
        using var engine = new ServingEngine(_served.Generator);
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        var other = engine.Run("other", Prompt(3), Stories.Greedy(40));

        var cancelled = engine.Run("cancelled", Prompt(0), Stories.Greedy(100), onToken: _ =>
        {
            if (++seen == 5)
            {
                cancel.Cancel();
            }
        }, cancellationToken: cancel.Token);

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(cancel.Token, error.CancellationToken);
        Assert.Equal(Stories.Alone(_reference, Prompt(3), Stories.Greedy(40)).Tokens, (await other).Tokens);
        Assert.Null(engine.BlocksOf("cancelled"));
        Assert.InRange(seen, 5, 6);
        var stats = engine.Statistics();
        Assert.Equal(1, stats.CachedSequences);
        Assert.Equal(engine.BlocksOf("other")!.Count, stats.KvBlocksUsed);
    }

    [Fact]
    public async Task Cancelling_a_queued_turn_leaves_its_cache_as_it_was()
    {
        using var engine = new ServingEngine(_served.Generator, new ServingOptions { MaxBatchSequences = 1 });
        var kept = await engine.Run("kept", Prompt(1), Stories.Greedy(5));
        using var cancel = new CancellationTokenSource();
        Task<TurnOutcome>? waiting = null;
        var count = 0;

        var first = engine.Run("first", Prompt(0), Stories.Greedy(20), onToken: _ =>
        {
            if (++count == 1)
            {
                waiting = engine.RunAsync(new TurnRequest("kept", [5], Stories.Greedy(5)) { ReuseTokens = kept.CachedTokens, ReuseHash = kept.CachedHash },
                    cancellationToken: cancel.Token);
                cancel.Cancel();
            }
        });

        await first;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting!.WaitAsync(Stories.Timeout));
        var continued = await engine.Run("kept", [5], Stories.Greedy(5), kept.CachedTokens, kept.CachedHash);
        Assert.Equal(1, continued.PrefilledTokens);

        // Already cancelled: never queued.
        Assert.True(engine.RunAsync(new TurnRequest("x", [1], Stories.Greedy(5)), cancellationToken: cancel.Token).IsCanceled);
    }

    [Fact]
    public async Task A_throwing_token_callback_fails_its_turn_only()
    {
        using var engine = new ServingEngine(_served.Generator);
        var other = engine.Run("other", Prompt(2), Stories.Greedy(30));

        var failing = engine.Run("failing", Prompt(0), Stories.Greedy(30), onToken: _ => throw new InvalidDataException("consumer broke"));

        Assert.Equal("consumer broke", (await Assert.ThrowsAsync<InvalidDataException>(() => failing)).Message);
        Assert.Null(engine.BlocksOf("failing"));
        Assert.Equal(Stories.Alone(_reference, Prompt(2), Stories.Greedy(30)).Tokens, (await other).Tokens);
        Assert.Equal(Stories.Alone(_reference, Prompt(0), Stories.Greedy(30)).Tokens, (await engine.Run("again", Prompt(0), Stories.Greedy(30))).Tokens);
    }

    [Fact]
    public async Task Dropped_caches_free_their_blocks_and_miss_afterwards()
    {
        using var engine = new ServingEngine(_served.Generator);
        var a = await engine.Run("a", Prompt(0), Stories.Greedy(10));
        await engine.Run("b", Prompt(3), Stories.Greedy(10));
        Assert.True(engine.Statistics().KvBlocksUsed > 0);

        Assert.True(engine.Drop("a"));
        Assert.False(engine.Drop("a"));
        Assert.Equal(engine.BlocksOf("b")!.Count, engine.Statistics().KvBlocksUsed);
        await Assert.ThrowsAsync<CacheMissException>(() => engine.Run("a", [5], Stories.Greedy(5), a.CachedTokens, a.CachedHash));

        engine.DropAll();
        var stats = engine.Statistics();
        Assert.Equal(0, stats.CachedSequences);
        Assert.Equal(0, stats.KvBlocksUsed);
        Assert.Equal(0, stats.TokensHeld);
    }

    [Fact]
    public async Task A_cache_dropped_while_its_turn_runs_is_freed_when_the_turn_ends()
    {
        using var engine = new ServingEngine(_served.Generator);
        var count = 0;

        var outcome = await engine.Run("a", Prompt(0), Stories.Greedy(20), onToken: _ =>
        {
            if (++count == 3)
            {
                Assert.True(engine.Drop("a"));
            }
        });

        Assert.Equal(Stories.Alone(_reference, Prompt(0), Stories.Greedy(20)).Tokens, outcome.Tokens);
        Assert.Equal((0, TokenHash.Empty), (outcome.CachedTokens, outcome.CachedHash));
        Assert.Equal(0, engine.Statistics().KvBlocksUsed);
    }

    [Fact]
    public async Task Disposing_fails_pending_turns_without_hanging_and_refuses_new_ones()
    {
        var engine = new ServingEngine(_served.Generator, new ServingOptions { MaxBatchSequences = 2 });
        var turns = Enumerable.Range(0, Stories.Texts.Length)
            .Select(i => engine.RunAsync(new TurnRequest($"c{i}", Prompt(i), Stories.Greedy(100))))
            .ToArray();

        engine.Dispose();
        engine.Dispose();

        foreach (var turn in turns)
        {
            try
            {
                var outcome = await turn.WaitAsync(Stories.Timeout);
                Assert.NotEmpty(outcome.Tokens);
            }
            catch (ObjectDisposedException)
            {
            }
        }

        Assert.Contains(turns, t => t.IsFaulted);
        Assert.Throws<ObjectDisposedException>(() => { _ = engine.RunAsync(new TurnRequest("late", [1], Stories.Greedy(5))); });
    }
}
