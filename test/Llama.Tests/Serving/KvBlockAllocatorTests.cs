using Llama.Serving;

namespace Llama.Tests.Serving;

public sealed class KvBlockAllocatorTests
{
    private static int[] Tokens(int start, int count = 4) => Enumerable.Range(start, count).ToArray();

    private static int Allocate(KvBlockAllocator allocator)
    {
        Assert.True(allocator.TryAllocate(out var block));
        return block;
    }

    [Fact]
    public void Allocates_every_block_once_then_reports_none_free()
    {
        var allocator = new KvBlockAllocator(3, 4);

        var blocks = new[] { Allocate(allocator), Allocate(allocator), Allocate(allocator) };

        Assert.Equal([0, 1, 2], blocks);
        Assert.False(allocator.TryAllocate(out var none));
        Assert.Equal(-1, none);
        Assert.Equal(0, allocator.FreeBlocks);
        Assert.Equal(3, allocator.UsedBlocks);
        Assert.All(blocks, b => Assert.Equal(1, allocator.RefCount(b)));
    }

    [Fact]
    public void A_block_is_free_again_only_when_its_last_holder_releases_it()
    {
        var allocator = new KvBlockAllocator(1, 4);
        var block = Allocate(allocator);
        allocator.Retain(block);

        allocator.Release(block);
        Assert.Equal(1, allocator.RefCount(block));
        Assert.False(allocator.TryAllocate(out _));

        allocator.Release(block);
        Assert.Equal(0, allocator.RefCount(block));
        Assert.Equal(block, Allocate(allocator));
    }

    [Fact]
    public void Bad_ids_and_unbalanced_calls_throw_clear_errors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvBlockAllocator(0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvBlockAllocator(4, 0));
        var allocator = new KvBlockAllocator(2, 4);

        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.RefCount(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Retain(-1));
        var releaseFree = Assert.Throws<InvalidOperationException>(() => allocator.Release(0));
        Assert.Contains("released more often", releaseFree.Message);
        var retainFree = Assert.Throws<InvalidOperationException>(() => allocator.Retain(0));
        Assert.Contains("allocate it instead", retainFree.Message);
        Assert.Throws<InvalidOperationException>(() => allocator.Register(0, KvBlockAllocator.Root, Tokens(0)));

        var block = Allocate(allocator);
        var partial = Assert.Throws<ArgumentException>(() => allocator.Register(block, KvBlockAllocator.Root, Tokens(0, 3)));
        Assert.Contains("exactly 4 tokens", partial.Message);
        allocator.Register(block, KvBlockAllocator.Root, Tokens(0));
        Assert.Throws<InvalidOperationException>(() => allocator.Register(block, KvBlockAllocator.Root, Tokens(9)));
        Assert.Throws<ArgumentException>(() => allocator.TryFind(KvBlockAllocator.Root, Tokens(0, 5), out _, out _));
    }

    [Fact]
    public void A_registered_block_is_found_by_its_whole_prefix_only()
    {
        var allocator = new KvBlockAllocator(4, 4);
        var first = Allocate(allocator);
        var second = Allocate(allocator);
        var firstId = allocator.Register(first, KvBlockAllocator.Root, Tokens(0));
        var secondId = allocator.Register(second, firstId, Tokens(4));

        Assert.True(allocator.TryFind(KvBlockAllocator.Root, Tokens(0), out var found, out var foundId));
        Assert.Equal((first, firstId), (found, foundId));
        Assert.True(allocator.TryFind(firstId, Tokens(4), out found, out foundId));
        Assert.Equal((second, secondId), (found, foundId));

        // The same block tokens after another prefix, or as a first block, are other content.
        Assert.False(allocator.TryFind(KvBlockAllocator.Root, Tokens(4), out found, out _));
        Assert.Equal(-1, found);
        Assert.False(allocator.TryFind(secondId, Tokens(4), out _, out _));
        Assert.False(allocator.TryFind(KvBlockAllocator.Root, [0, 1, 2, 9], out _, out _));
        Assert.Equal(2, allocator.RegisteredBlocks);
        Assert.True(allocator.IsRegistered(first));
        Assert.False(allocator.IsRegistered(Allocate(allocator)));
    }

    [Fact]
    public void Registering_a_prefix_another_block_holds_names_it_the_same_and_keeps_the_first_block_findable()
    {
        var allocator = new KvBlockAllocator(3, 4);
        var first = Allocate(allocator);
        var duplicate = Allocate(allocator);
        var id = allocator.Register(first, KvBlockAllocator.Root, Tokens(0));

        Assert.Equal(id, allocator.Register(duplicate, KvBlockAllocator.Root, Tokens(0)));
        Assert.Equal(id, allocator.Register(first, KvBlockAllocator.Root, Tokens(0)));
        Assert.False(allocator.IsRegistered(duplicate));
        Assert.True(allocator.TryFind(KvBlockAllocator.Root, Tokens(0), out var found, out _));
        Assert.Equal(first, found);
    }

    [Fact]
    public void Released_registered_blocks_stay_findable_and_a_hit_takes_them_off_the_free_list()
    {
        var allocator = new KvBlockAllocator(2, 4);
        var block = Allocate(allocator);
        allocator.Register(block, KvBlockAllocator.Root, Tokens(0));
        allocator.Release(block);

        Assert.Equal(2, allocator.FreeBlocks);
        Assert.Equal(1, allocator.CachedBlocks);
        Assert.True(allocator.TryFind(KvBlockAllocator.Root, Tokens(0), out var found, out _));
        allocator.Retain(found);

        Assert.Equal(block, found);
        Assert.Equal(1, allocator.RefCount(block));
        Assert.Equal(1, allocator.FreeBlocks);
        Assert.Equal(0, allocator.CachedBlocks);
        // The remaining free block is the other one: the retained block is not handed out twice.
        Assert.NotEqual(block, Allocate(allocator));
        Assert.False(allocator.TryAllocate(out _));
    }

    [Fact]
    public void Allocation_takes_empty_blocks_before_cached_ones_and_cached_ones_least_recently_freed_first()
    {
        var allocator = new KvBlockAllocator(4, 4);
        var a = Allocate(allocator);
        var b = Allocate(allocator);
        var c = Allocate(allocator);
        allocator.Register(a, KvBlockAllocator.Root, Tokens(0));
        allocator.Register(b, KvBlockAllocator.Root, Tokens(10));
        allocator.Register(c, KvBlockAllocator.Root, Tokens(20));
        allocator.Release(b);
        allocator.Release(a);
        allocator.Release(c);

        // Block 3 never held anything: it goes first, then b, a, c in the order they were freed.
        Assert.Equal(3, Allocate(allocator));
        Assert.Equal(b, Allocate(allocator));
        Assert.False(allocator.TryFind(KvBlockAllocator.Root, Tokens(10), out _, out _));
        Assert.True(allocator.TryFind(KvBlockAllocator.Root, Tokens(0), out _, out _));
        Assert.Equal(a, Allocate(allocator));
        Assert.False(allocator.TryFind(KvBlockAllocator.Root, Tokens(0), out _, out _));
        Assert.True(allocator.TryFind(KvBlockAllocator.Root, Tokens(20), out _, out _));
        Assert.Equal(c, Allocate(allocator));
        Assert.Equal(0, allocator.RegisteredBlocks);
        Assert.False(allocator.IsRegistered(c));
    }

    [Fact]
    public void A_chain_on_a_reallocated_parent_never_matches_the_new_content()
    {
        var allocator = new KvBlockAllocator(3, 4);
        var parent = Allocate(allocator);
        var child = Allocate(allocator);
        var parentId = allocator.Register(parent, KvBlockAllocator.Root, Tokens(0));
        allocator.Register(child, parentId, Tokens(4));
        allocator.Release(parent);
        allocator.Release(child);
        Allocate(allocator);

        // The parent block now holds other tokens and registers them under a new id: the old child is unreachable from it.
        var reused = Allocate(allocator);
        Assert.Equal(parent, reused);
        var newId = allocator.Register(reused, KvBlockAllocator.Root, Tokens(100));
        Assert.NotEqual(parentId, newId);
        Assert.False(allocator.TryFind(newId, Tokens(4), out _, out _));
        Assert.True(allocator.TryFind(parentId, Tokens(4), out var stale, out _));
        Assert.Equal(child, stale);
    }

    [Fact]
    public void Copy_before_write_is_needed_for_shared_or_registered_blocks_only()
    {
        var allocator = new KvBlockAllocator(3, 4);
        var own = Allocate(allocator);
        var shared = Allocate(allocator);
        allocator.Retain(shared);
        var registered = Allocate(allocator);
        allocator.Register(registered, KvBlockAllocator.Root, Tokens(0));

        Assert.False(allocator.MustCopyBeforeWrite(own));
        Assert.True(allocator.MustCopyBeforeWrite(shared));
        Assert.True(allocator.MustCopyBeforeWrite(registered));
        allocator.Release(shared);
        Assert.False(allocator.MustCopyBeforeWrite(shared));
    }

    [Fact]
    public void An_unregistered_block_is_found_no_more_and_when_free_it_holds_nothing_to_keep()
    {
        var allocator = new KvBlockAllocator(2, 4);
        var held = Allocate(allocator);
        var freed = Allocate(allocator);
        allocator.Register(held, KvBlockAllocator.Root, Tokens(0));
        allocator.Register(freed, KvBlockAllocator.Root, Tokens(10));
        allocator.Release(freed);

        allocator.Unregister(held);
        allocator.Unregister(freed);

        Assert.False(allocator.IsRegistered(held));
        Assert.False(allocator.MustCopyBeforeWrite(held));
        Assert.False(allocator.TryFind(KvBlockAllocator.Root, Tokens(0), out _, out _));
        Assert.False(allocator.TryFind(KvBlockAllocator.Root, Tokens(10), out _, out _));
        Assert.Equal(0, allocator.CachedBlocks);
        Assert.Equal(1, allocator.FreeBlocks);
        Assert.Equal(freed, Allocate(allocator));
    }

    [Fact]
    public void Random_operations_keep_counts_consistent_with_a_model_of_holders()
    {
        var allocator = new KvBlockAllocator(16, 2);
        var random = new Random(5);
        var holders = new List<int>();
        for (var step = 0; step < 5000; step++)
        {
            switch (random.Next(4))
            {
                case 0 when allocator.TryAllocate(out var block):
                    Assert.Equal(1, allocator.RefCount(block));
                    holders.Add(block);
                    break;
                case 1 when holders.Count > 0:
                    var retained = holders[random.Next(holders.Count)];
                    allocator.Retain(retained);
                    holders.Add(retained);
                    break;
                case 2 when holders.Count > 0:
                    var index = random.Next(holders.Count);
                    allocator.Release(holders[index]);
                    holders.RemoveAt(index);
                    break;
                case 3 when holders.Count > 0:
                    var full = holders[random.Next(holders.Count)];
                    if (!allocator.IsRegistered(full))
                    {
                        allocator.Register(full, KvBlockAllocator.Root, [random.Next(4), random.Next(4)]);
                    }

                    break;
            }

            var distinct = holders.Distinct().ToArray();
            Assert.Equal(distinct.Length, allocator.UsedBlocks);
            Assert.Equal(16 - distinct.Length, allocator.FreeBlocks);
            Assert.All(distinct, b => Assert.Equal(holders.Count(h => h == b), allocator.RefCount(b)));
            Assert.True(allocator.RegisteredBlocks <= 16);
        }
    }
}
