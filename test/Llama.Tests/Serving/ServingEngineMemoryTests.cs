using Llama.Generation;
using Llama.Serving;

namespace Llama.Tests.Serving;

/// <summary>Eviction, preemption, prefix sharing and copy-on-write, checked against unconstrained runs.</summary>
public sealed class ServingEngineMemoryTests : IDisposable
{
    private const int BlockSize = 4;

    // The smallest pool stories260K allows here: one sequence of max_seq_len.
    private const int TinyPool = Stories.MaxSeqLen / BlockSize;

    private readonly LlamaGenerator _reference = Stories.Build(BlockSize);

    public void Dispose() => _reference.Dispose();

    private int[] Prompt(int i) => Stories.Prompt(_reference, Stories.Texts[i]);

    [Fact]
    public async Task Caches_beyond_the_pool_are_evicted_least_recently_used_and_every_turn_still_matches()
    {
        using var served = Stories.Build(BlockSize, TinyPool);
        using var engine = new ServingEngine(served.Generator);
        var outcomes = new TurnOutcome[Stories.Texts.Length];

        for (var i = 0; i < outcomes.Length; i++)
        {
            outcomes[i] = await engine.Run($"c{i}", Prompt(i), Stories.Greedy(30));
            Assert.Equal(Stories.Alone(_reference, Prompt(i), Stories.Greedy(30)).Tokens, outcomes[i].Tokens);
        }

        var stats = engine.Statistics();
        Assert.True(stats.Evictions > 0);
        Assert.Equal(0, stats.Preemptions);
        Assert.Equal(outcomes.Length - stats.Evictions, stats.CachedSequences);
        Assert.Equal(TinyPool, stats.KvBlocksUsed + stats.KvBlocksFree);

        // The first conversation went first; the last one is still held and continues from its cache.
        var last = outcomes.Length - 1;
        await Assert.ThrowsAsync<CacheMissException>(() =>
            engine.Run("c0", [1], Stories.Greedy(5), outcomes[0].CachedTokens, outcomes[0].CachedHash));
        var next = await engine.Run($"c{last}", Prompt(0)[1..6], Stories.Greedy(10), outcomes[last].CachedTokens, outcomes[last].CachedHash);
        var history = Stories.Held(Prompt(last), outcomes[last]).Concat(Prompt(0)[1..6]).ToArray();
        Assert.Equal(Stories.Alone(_reference, history, Stories.Greedy(10)).Tokens, next.Tokens);
        Assert.Equal(5, next.PrefilledTokens);
    }

    [Fact]
    public async Task Turns_that_together_outgrow_a_tiny_pool_are_preempted_and_resumed_with_identical_tokens()
    {
        using var served = Stories.Build(BlockSize, TinyPool);
        using var engine = new ServingEngine(served.Generator);
        GenerationOptions[] options = [.. Enumerable.Range(0, Stories.Texts.Length).Select(i => i % 2 == 0 ? Stories.Greedy(60) : Stories.Sampled(60, (ulong)i))];

        var outcomes = await Task.WhenAll(await Stories.WhileHeld(engine, () => options.Select((o, i) => engine.Run($"c{i}", Prompt(i), o)).ToArray()));

        for (var i = 0; i < options.Length; i++)
        {
            Assert.Equal(Stories.Alone(_reference, Prompt(i), options[i]).Tokens, outcomes[i].Tokens);
        }

        var stats = engine.Statistics();
        Assert.True(stats.Preemptions > 0);
        Assert.True(stats.Evictions > 0);
        Assert.Equal(options.Length + 1, stats.Turns);
    }

    [Fact]
    public async Task A_turn_whose_cache_was_evicted_gets_a_miss_and_recomputing_the_whole_prompt_gives_the_same_tokens()
    {
        using var big = Stories.Build(BlockSize);
        using var unconstrained = new ServingEngine(big.Generator);
        using var small = Stories.Build(BlockSize, TinyPool);
        using var constrained = new ServingEngine(small.Generator);
        var followUp = Prompt(1)[1..];

        var first = await unconstrained.Run("x", Prompt(0), Stories.Greedy(30));
        var cached = await unconstrained.Run("x", followUp, Stories.Greedy(30), first.CachedTokens, first.CachedHash);

        var again = await constrained.Run("x", Prompt(0), Stories.Greedy(30));
        Assert.Equal(first, again with { Tokens = first.Tokens });
        Assert.Equal(first.Tokens, again.Tokens);
        for (var i = 2; i < Stories.Texts.Length; i++)
        {
            await constrained.Run($"other{i}", Prompt(i), Stories.Greedy(40));
        }

        await Assert.ThrowsAsync<CacheMissException>(() => constrained.Run("x", followUp, Stories.Greedy(30), again.CachedTokens, again.CachedHash));
        var whole = Stories.Held(Prompt(0), again).Concat(followUp).ToArray();
        var recomputed = await constrained.Run("x", whole, Stories.Greedy(30));

        Assert.Equal(cached.Tokens, recomputed.Tokens);
        Assert.Equal(cached.CachedTokens, recomputed.CachedTokens);
        Assert.Equal(cached.CachedHash, recomputed.CachedHash);
        Assert.Equal(followUp.Length, cached.PrefilledTokens);
        Assert.Equal(1, constrained.Statistics().Misses);
    }

    [Fact]
    public async Task Caches_with_the_same_prompt_share_its_full_blocks_and_a_fork_never_writes_into_a_shared_block()
    {
        using var served = Stories.Build(BlockSize);
        using var engine = new ServingEngine(served.Generator);
        var pool = served.Model.Cache;
        var prompt = Prompt(0);
        var options = Stories.Greedy(12);
        var expected = Stories.Alone(_reference, prompt, options).Tokens;

        var a = await engine.Run("a", prompt, options);
        var usedByOne = engine.Statistics().KvBlocksUsed;
        var b = await engine.Run("b", prompt, options);
        var stats = engine.Statistics();

        Assert.Equal(expected, a.Tokens);
        Assert.Equal(expected, b.Tokens);
        // Every full block of the prompt is found; when the last token ends a block, that block is copied to
        // compute the token again (its logits start the reply), so it is not shared.
        var hits = Math.Min(prompt.Length / BlockSize * BlockSize, prompt.Length - 1);
        var shared = (prompt.Length - 1) / BlockSize;
        Assert.Equal(hits, stats.PrefixHitTokens);
        Assert.Equal(prompt.Length - hits, b.PrefilledTokens);
        Assert.Equal(prompt.Length, a.PrefilledTokens);
        Assert.Equal(usedByOne * 2 - shared, stats.KvBlocksUsed);
        var blocksA = engine.BlocksOf("a")!;
        var blocksB = engine.BlocksOf("b")!;
        Assert.Equal(blocksA.Take(shared), blocksB.Take(shared));
        Assert.Empty(blocksA.Skip(shared).Intersect(blocksB));

        // A fork that diverges inside a shared block: "a" keeps 2.5 blocks of its prompt and goes on differently.
        var keep = (2 * BlockSize) + 2;
        var contentsB = blocksB.Select(block => Stories.BlockContents(pool, block)).ToArray();
        var twist = Prompt(2)[1..];
        var forked = await engine.Run("a", twist, options, keep, TokenHash.Of(prompt.Take(keep)));

        var forkPrompt = prompt.Take(keep).Concat(twist).ToArray();
        Assert.Equal(Stories.Alone(_reference, forkPrompt, options).Tokens, forked.Tokens);
        Assert.Equal(twist.Length, forked.PrefilledTokens);
        Assert.Equal(blocksB, engine.BlocksOf("b"));
        for (var i = 0; i < blocksB.Count; i++)
        {
            Assert.Equal(contentsB[i], Stories.BlockContents(pool, blocksB[i]));
        }

        var forkedBlocks = engine.BlocksOf("a")!;
        Assert.Equal(blocksA.Take(2), forkedBlocks.Take(2));
        Assert.DoesNotContain(forkedBlocks[2], blocksB);

        // "b" still continues from its own, untouched cache.
        var more = Prompt(5)[1..];
        var continued = await engine.Run("b", more, options, b.CachedTokens, b.CachedHash);
        Assert.Equal(more.Length, continued.PrefilledTokens);
        Assert.Equal(Stories.Alone(_reference, Stories.Held(prompt, b).Concat(more).ToArray(), options).Tokens, continued.Tokens);
    }

    [Fact]
    public async Task A_new_cache_whose_prompt_starts_like_another_computes_only_what_differs()
    {
        using var served = Stories.Build(BlockSize);
        using var engine = new ServingEngine(served.Generator);
        var prompt = Prompt(0);
        var options = Stories.Greedy(10);
        var first = await engine.Run("a", prompt, options);

        // Diverges at position 14, inside the fourth block: three blocks are shared.
        var fork = prompt.Take(14).Concat(Prompt(3)[1..]).ToArray();
        var outcome = await engine.Run("fork", fork, options);

        Assert.Equal(Stories.Alone(_reference, fork, options).Tokens, outcome.Tokens);
        Assert.Equal(fork.Length - (3 * BlockSize), outcome.PrefilledTokens);
        Assert.Equal(3 * BlockSize, engine.Statistics().PrefixHitTokens);
        Assert.Equal(engine.BlocksOf("a")!.Take(3), engine.BlocksOf("fork")!.Take(3));

        // The prompt a cache already answered, asked again with nothing reused: all but its last token come from blocks.
        var repeat = await engine.Run("again", Stories.Held(prompt, first), options);
        Assert.Equal(1, repeat.PrefilledTokens);
    }

    [Fact]
    public async Task A_reuse_with_the_wrong_hash_is_a_miss_that_changes_nothing()
    {
        using var served = Stories.Build(BlockSize);
        using var engine = new ServingEngine(served.Generator);
        var first = await engine.Run("x", Prompt(0), Stories.Greedy(10));
        var blocks = engine.BlocksOf("x");
        var before = engine.Statistics();

        var wrongHash = await Assert.ThrowsAsync<CacheMissException>(() =>
            engine.Run("x", [5], Stories.Greedy(10), first.CachedTokens, first.CachedHash ^ 1));
        var tooMany = await Assert.ThrowsAsync<CacheMissException>(() =>
            engine.Run("x", [5], Stories.Greedy(10), first.CachedTokens + 1, first.CachedHash));
        var unknown = await Assert.ThrowsAsync<CacheMissException>(() => engine.Run("y", [5], Stories.Greedy(10), 3, 0));

        Assert.Contains("'x'", wrongHash.Message);
        Assert.Contains("'x'", tooMany.Message);
        Assert.Contains("not held", unknown.Message);
        var after = engine.Statistics();
        Assert.Equal(blocks, engine.BlocksOf("x"));
        Assert.Equal(before with { Misses = 3 }, after);

        var continued = await engine.Run("x", [5], Stories.Greedy(10), first.CachedTokens, first.CachedHash);
        Assert.Equal(1, continued.PrefilledTokens);
        Assert.Equal(1, engine.Statistics().Hits);
    }
}
