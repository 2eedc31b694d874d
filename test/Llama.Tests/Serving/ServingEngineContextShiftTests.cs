using Llama.Generation;
using Llama.Serving;

namespace Llama.Tests.Serving;

/// <summary>Context shift: trimmed tokens are dropped from a cache and the kept ones moved down instead of recomputed.</summary>
public sealed class ServingEngineContextShiftTests : IDisposable
{
    private const int BlockSize = 4;
    private readonly LlamaGenerator _served = Stories.Build(BlockSize);
    private readonly LlamaGenerator _reference = Stories.Build(BlockSize);

    public void Dispose()
    {
        _served.Dispose();
        _reference.Dispose();
    }

    private int[] Text(int i) => Stories.Prompt(_reference, Stories.Texts[i]);

    /// <summary>A first turn over system + dropped + kept tokens; returns them and the cache it left.</summary>
    private async Task<(int[] System, int[] Dropped, int[] Held, TurnOutcome First)> FirstTurn(ServingEngine engine, string cacheId)
    {
        var system = Text(1)[..9];
        var dropped = Text(3)[1..14];
        var kept = Text(0)[1..];
        int[] prompt = [.. system, .. dropped, .. kept];
        var first = await engine.Run(cacheId, prompt, Stories.Greedy(6));
        return (system, dropped, Stories.Held(prompt, first), first);
    }

    private static TurnRequest Shifted(string cacheId, int from, int count, IReadOnlyList<int> kept, IReadOnlyList<int> next) =>
        new(cacheId, next, Stories.Greedy(8))
        {
            ShiftFrom = from,
            ShiftCount = count,
            ReuseTokens = kept.Count,
            ReuseHash = TokenHash.Of(kept),
        };

    [Fact]
    public async Task A_shift_keeps_the_moved_tokens_without_recomputing_them()
    {
        using var engine = new ServingEngine(_served.Generator);
        var (system, dropped, held, _) = await FirstTurn(engine, "c");
        int[] kept = [.. held[..system.Length], .. held[(system.Length + dropped.Length)..]];
        int[] next = Text(2)[1..];

        var outcome = await engine.RunAsync(Shifted("c", system.Length, dropped.Length, kept, next)).WaitAsync(Stories.Timeout);

        // Only the new tokens were computed; the cache now holds the shifted history, the new tokens and the reply.
        Assert.Equal(next.Length, outcome.PrefilledTokens);
        Assert.Equal(1, engine.Statistics().ContextShifts);
        Assert.Equal(TokenHash.Of(Stories.Held([.. kept, .. next], outcome)), outcome.CachedHash);
        Assert.InRange(outcome.Tokens.Count, 1, 8);
        var exact = Stories.Alone(_reference, [.. kept, .. next], Stories.Greedy(8)).Tokens;
        Assert.Equal(exact, outcome.Tokens);
    }

    [Fact]
    public async Task Shifted_blocks_are_never_found_by_other_caches()
    {
        using var engine = new ServingEngine(_served.Generator);
        var (system, dropped, held, _) = await FirstTurn(engine, "c");
        int[] kept = [.. held[..system.Length], .. held[(system.Length + dropped.Length)..]];
        int[] next = Text(2)[1..];
        await engine.RunAsync(Shifted("c", system.Length, dropped.Length, kept, next)).WaitAsync(Stories.Timeout);
        var hitsBefore = engine.Statistics().PrefixHitTokens;

        // The same tokens from scratch: only whole blocks before the shift point may come from c's cache.
        int[] prompt = [.. kept, .. next];
        var fresh = await engine.Run("d", prompt, Stories.Greedy(8));

        Assert.Equal(system.Length / BlockSize * BlockSize, engine.Statistics().PrefixHitTokens - hitsBefore);
        Assert.Equal(Stories.Alone(_reference, prompt, Stories.Greedy(8)).Tokens, fresh.Tokens);
    }

    [Fact]
    public async Task A_shift_that_would_not_hold_the_named_tokens_is_a_miss_and_changes_nothing()
    {
        using var engine = new ServingEngine(_served.Generator);
        var (system, dropped, held, first) = await FirstTurn(engine, "c");
        int[] wrong = [.. held[..system.Length], 5, 6, 7];

        await Assert.ThrowsAsync<CacheMissException>(() =>
            engine.RunAsync(Shifted("c", system.Length, dropped.Length, wrong, [9])).WaitAsync(Stories.Timeout));
        await Assert.ThrowsAsync<CacheMissException>(() =>
            engine.RunAsync(Shifted("c", held.Length - 2, 5, held[..2], [9])).WaitAsync(Stories.Timeout));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            engine.RunAsync(Shifted("c", -1, 2, held[..2], [9])));

        // The cache is as the first turn left it: continuing it without a shift is exact.
        var next = await engine.Run("c", [9, 10], Stories.Greedy(5), first.CachedTokens, first.CachedHash);
        Assert.Equal(2, next.PrefilledTokens);
        Assert.Equal(Stories.Alone(_reference, [.. held, 9, 10], Stories.Greedy(5)).Tokens, next.Tokens);
        Assert.Equal(0, engine.Statistics().ContextShifts);
    }
}
