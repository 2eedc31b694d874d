using Llama.Checkpoints;
using Llama.Generation;
using Llama.Model;
using Llama.Serving;
using static TorchSharp.torch;

namespace Llama.Tests.Serving;

public sealed class ConversationCachesTests : IDisposable
{
    private const int BlockSize = 4;
    private readonly List<KvBlockPool> _pools = [];

    public void Dispose() => _pools.ForEach(p => p.Dispose());

    private KvBlockPool Pool(int blocks)
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        var pool = new KvBlockPool(checkpoint.Args, blocks, BlockSize, ScalarType.Float32, CPU);
        _pools.Add(pool);
        return pool;
    }

    private static void Fill(KvBlockPool pool, int block, float value)
    {
        foreach (var t in pool.Keys.Concat(pool.Values))
        {
            using var slice = t[block];
            slice.fill_(value);
        }
    }

    /// <summary>Reserves and records <paramref name="tokens"/> as computed, as a forward step would.</summary>
    private static void Compute(ConversationCaches caches, CacheEntry entry, int[] tokens)
    {
        var count = tokens.Length - entry.Tokens.Count;
        Assert.True(caches.TryReserve(entry, count));
        caches.Commit(entry, tokens, count);
    }

    private static TurnState Turn() => new(new TurnRequest("t", [1], new GenerationOptions()), null, new SeededRandom(0), default);

    private static readonly int[] Ten = [.. Enumerable.Range(1, 10)];

    [Fact]
    public void Computed_tokens_take_blocks_as_they_grow_and_full_blocks_are_registered()
    {
        var caches = new ConversationCaches(Pool(8));
        var entry = caches.Add("a");

        Compute(caches, entry, Ten[..3]);
        Assert.Single(entry.Blocks);
        Assert.Empty(entry.PrefixIds);
        Compute(caches, entry, Ten);

        Assert.Equal(3, entry.Blocks.Count);
        Assert.Equal(2, entry.PrefixIds.Count);
        Assert.Equal(2, caches.Allocator.RegisteredBlocks);
        Assert.Equal(TokenHash.Of(Ten), entry.PrefixHash(10));
        Assert.Equal(TokenHash.Of(Ten[..4]), entry.PrefixHash(4));
        Assert.Equal(10, caches.TokensHeld);
    }

    [Fact]
    public void A_matched_prefix_is_shared_and_writing_into_it_copies_the_block_first()
    {
        var pool = Pool(8);
        var caches = new ConversationCaches(pool);
        var a = caches.Add("a");
        Compute(caches, a, Ten[..8]);
        Fill(pool, a.Blocks[0], 1f);
        Fill(pool, a.Blocks[1], 2f);
        var b = caches.Add("b");

        // All 8 tokens are found, but the last is left to compute: it lies in the shared second block.
        Assert.Equal(7, caches.MatchPrefix(b, Ten[..8]));
        Assert.Equal(a.Blocks, b.Blocks);
        Assert.Equal(2, caches.Allocator.RefCount(a.Blocks[1]));
        Assert.True(caches.TryReserve(b, 1));

        Assert.Equal(a.Blocks[0], b.Blocks[0]);
        Assert.NotEqual(a.Blocks[1], b.Blocks[1]);
        Assert.Equal(Stories.BlockContents(pool, a.Blocks[1]), Stories.BlockContents(pool, b.Blocks[1]));
        Assert.Equal(1, caches.Allocator.RefCount(a.Blocks[1]));
        Fill(pool, b.Blocks[1], 3f);
        Assert.All(Stories.BlockContents(pool, a.Blocks[1]), v => Assert.Equal(2f, v));

        // The copy, filled again with the same tokens, names the same prefix: a third cache finds the first block.
        caches.Commit(b, Ten[..8], 1);
        Assert.Equal(a.PrefixIds, b.PrefixIds);
        var c = caches.Add("c");
        Assert.Equal(7, caches.MatchPrefix(c, Ten[..8]));
        Assert.Equal(a.Blocks[1], c.Blocks[1]);
    }

    [Fact]
    public void With_no_block_to_copy_into_a_sole_holder_writes_in_place_after_unregistering_and_a_shared_block_waits()
    {
        var caches = new ConversationCaches(Pool(2));
        var a = caches.Add("a");
        Compute(caches, a, Ten[..8]);
        a.Truncate(6, caches.Allocator);

        Assert.True(caches.TryReserve(a, 1));
        Assert.False(caches.Allocator.IsRegistered(a.Blocks[1]));
        Assert.True(caches.Allocator.IsRegistered(a.Blocks[0]));

        var b = caches.Add("b");
        Assert.Equal(4, caches.MatchPrefix(b, Ten[..6]));
        a.Truncate(2, caches.Allocator);
        Assert.True(caches.TryReserve(b, 2));
        Assert.Equal(0, caches.Allocator.FreeBlocks);
        Assert.False(caches.TryReserve(a, 1));
        Assert.Equal(2, caches.Allocator.RefCount(a.Blocks[0]));
    }

    [Fact]
    public void Idle_caches_are_evicted_least_recently_used_first_and_busy_ones_never()
    {
        var caches = new ConversationCaches(Pool(8));
        var old = caches.Add("old");
        var busy = caches.Add("busy");
        var recent = caches.Add("recent");
        Compute(caches, old, Ten[..2]);
        Compute(caches, busy, [7, 7]);
        Compute(caches, recent, [8, 8]);
        busy.LastUse = 0;
        busy.Turn = Turn();

        Assert.True(caches.EvictIdle());
        Assert.False(caches.TryGet("old", out _));
        Assert.True(caches.EvictIdle());
        Assert.False(caches.TryGet("recent", out _));
        Assert.False(caches.EvictIdle());
        Assert.True(caches.TryGet("busy", out _));
        Assert.Equal(2, caches.Evictions);
        Assert.Equal(1, caches.Allocator.UsedBlocks);
    }

    [Fact]
    public void Admission_counts_blocks_idle_caches_would_free_but_not_those_running_turns_hold()
    {
        var caches = new ConversationCaches(Pool(3));
        var idle = caches.Add("idle");
        Compute(caches, idle, Ten);
        int[] other = [.. Enumerable.Range(20, 10)];

        Assert.True(caches.CanAdmit(null, 0, other));
        // Its own blocks past what it keeps count too.
        Assert.True(caches.CanAdmit(idle, 0, other));
        // Shared full blocks need no memory: 3 found + 1 more would not fit otherwise.
        Assert.True(caches.CanAdmit(null, 0, [.. Ten[..8], 50, 51]));

        idle.Turn = Turn();
        Assert.False(caches.CanAdmit(null, 0, other));
        Assert.True(caches.CanAdmit(null, 0, [.. Ten[..8]]));
    }

    [Fact]
    public void Dropping_an_idle_cache_frees_it_and_one_in_use_is_only_detached()
    {
        var caches = new ConversationCaches(Pool(4));
        var idle = caches.Add("idle");
        var running = caches.Add("running");
        Compute(caches, idle, Ten[..4]);
        Compute(caches, running, [9, 9, 9]);
        running.Turn = Turn();

        Assert.True(caches.Drop("idle"));
        Assert.True(caches.Drop("running"));
        Assert.False(caches.Drop("idle"));

        Assert.Empty(idle.Blocks);
        Assert.True(running.Detached);
        Assert.Single(running.Blocks);
        Assert.Equal(0, caches.Count);
        caches.Discard(running);
        Assert.Equal(0, caches.Allocator.UsedBlocks);
    }
}
