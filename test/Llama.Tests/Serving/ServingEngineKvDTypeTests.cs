using Llama.Generation;
using Llama.Serving;
using static TorchSharp.torch;

namespace Llama.Tests.Serving;

/// <summary>
/// The serving engine over a float16 KV cache: prefix sharing, copy-on-write, eviction and context shift work as with
/// float32, every turn matching what the same model generates for the whole history alone.
/// </summary>
public sealed class ServingEngineKvDTypeTests : IDisposable
{
    private const int BlockSize = 4;
    private const int TinyPool = Stories.MaxSeqLen / BlockSize;
    private readonly LlamaGenerator _reference = Stories.Build(BlockSize, kvCacheDType: ScalarType.Float16);

    public void Dispose() => _reference.Dispose();

    private int[] Prompt(int i) => Stories.Prompt(_reference, Stories.Texts[i]);

    [Fact]
    public async Task Caches_share_prompt_blocks_and_a_fork_leaves_the_shared_blocks_untouched()
    {
        using var served = Stories.Build(BlockSize, kvCacheDType: ScalarType.Float16);
        using var engine = new ServingEngine(served.Generator);
        var prompt = Prompt(0);
        var options = Stories.Greedy(12);

        var a = await engine.Run("a", prompt, options);
        var b = await engine.Run("b", prompt, options);
        var shared = (prompt.Length - 1) / BlockSize;
        var blocksB = engine.BlocksOf("b")!;
        var contentsB = blocksB.Select(block => Stories.BlockContents(served.Model.Cache, block)).ToArray();
        var keep = (2 * BlockSize) + 2;
        var twist = Prompt(2)[1..];
        var forked = await engine.Run("a", twist, options, keep, TokenHash.Of(prompt.Take(keep)));

        Assert.Equal(Stories.Alone(_reference, prompt, options).Tokens, a.Tokens);
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(prompt.Length - Math.Min(prompt.Length / BlockSize * BlockSize, prompt.Length - 1), b.PrefilledTokens);
        Assert.Equal(engine.BlocksOf("a")!.Take(2), blocksB.Take(2));
        Assert.True(shared >= 2);
        Assert.Equal(Stories.Alone(_reference, [.. prompt.Take(keep), .. twist], options).Tokens, forked.Tokens);
        for (var i = 0; i < blocksB.Count; i++)
        {
            Assert.Equal(contentsB[i], Stories.BlockContents(served.Model.Cache, blocksB[i]));
        }
    }

    [Fact]
    public async Task Evicted_caches_recompute_and_every_turn_still_matches()
    {
        using var served = Stories.Build(BlockSize, TinyPool, kvCacheDType: ScalarType.Float16);
        using var engine = new ServingEngine(served.Generator);
        var outcomes = new TurnOutcome[Stories.Texts.Length];
        for (var i = 0; i < outcomes.Length; i++)
        {
            outcomes[i] = await engine.Run($"c{i}", Prompt(i), Stories.Greedy(30));
            Assert.Equal(Stories.Alone(_reference, Prompt(i), Stories.Greedy(30)).Tokens, outcomes[i].Tokens);
        }

        Assert.True(engine.Statistics().Evictions > 0);
        Assert.Equal(TinyPool, served.Model.Cache.BlockCount);
        await Assert.ThrowsAsync<CacheMissException>(() =>
            engine.Run("c0", [1], Stories.Greedy(5), outcomes[0].CachedTokens, outcomes[0].CachedHash));
        var whole = Stories.Held(Prompt(0), outcomes[0]).Concat(Prompt(1)[1..]).ToArray();
        var recomputed = await engine.Run("c0", whole, Stories.Greedy(20));
        Assert.Equal(Stories.Alone(_reference, whole, Stories.Greedy(20)).Tokens, recomputed.Tokens);
    }

    [Fact]
    public async Task A_context_shift_moves_16_bit_keys_without_recomputing_them()
    {
        using var served = Stories.Build(BlockSize, kvCacheDType: ScalarType.Float16);
        using var engine = new ServingEngine(served.Generator);
        var system = Prompt(1)[..9];
        var dropped = Prompt(3)[1..14];
        int[] prompt = [.. system, .. dropped, .. Prompt(0)[1..]];
        var first = await engine.Run("c", prompt, Stories.Greedy(6));
        var held = Stories.Held(prompt, first);
        int[] kept = [.. held[..system.Length], .. held[(system.Length + dropped.Length)..]];
        int[] next = Prompt(2)[1..];

        var outcome = await engine.RunAsync(new TurnRequest("c", next, Stories.Greedy(8))
        {
            ShiftFrom = system.Length,
            ShiftCount = dropped.Length,
            ReuseTokens = kept.Length,
            ReuseHash = TokenHash.Of(kept),
        }).WaitAsync(Stories.Timeout);

        Assert.Equal(next.Length, outcome.PrefilledTokens);
        Assert.Equal(1, engine.Statistics().ContextShifts);
        Assert.Equal(Stories.Alone(_reference, [.. kept, .. next], Stories.Greedy(8)).Tokens, outcome.Tokens);
    }
}
