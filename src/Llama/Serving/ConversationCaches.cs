using Llama.Model;

namespace Llama.Serving;

/// <summary>
/// The conversation caches of a <see cref="ServingEngine"/> over one <see cref="IKvBlockStore"/>: block tables,
/// prefix sharing through the <see cref="KvBlockAllocator"/>, copy-on-write before a shared block is written,
/// and least-recently-used eviction of idle caches. Not thread-safe: the engine serializes calls.
/// </summary>
internal sealed class ConversationCaches(IKvBlockStore pool)
{
    private readonly Dictionary<string, CacheEntry> _entries = new(StringComparer.Ordinal);
    private long _clock;

    public KvBlockAllocator Allocator { get; } = new(pool.BlockCount, pool.BlockSize);

    public int BlockSize => pool.BlockSize;

    public int Count => _entries.Count;

    public long TokensHeld => _entries.Values.Sum(e => (long)e.Tokens.Count);

    public long Evictions { get; private set; }

    public bool TryGet(string id, out CacheEntry entry) => _entries.TryGetValue(id, out entry!);

    public CacheEntry Add(string id)
    {
        var entry = new CacheEntry(id, BlockSize) { LastUse = NextUse() };
        _entries[id] = entry;
        return entry;
    }

    public int UsedBlocks => Allocator.UsedBlocks;

    public int FreeBlocks => Allocator.FreeBlocks;

    /// <summary>The block table of a cache, or null when it is not held.</summary>
    public IReadOnlyList<int>? BlocksOf(string id) => _entries.TryGetValue(id, out var entry) ? entry.Blocks.ToArray() : null;

    /// <summary>Marks a cache as just used, so it is the last idle one evicted; nothing when it is not held.</summary>
    public void Touch(string id)
    {
        if (_entries.TryGetValue(id, out var entry))
        {
            entry.LastUse = NextUse();
        }
    }

    /// <summary>
    /// Finds the cache <paramref name="request"/> continues and makes it hold what the request reuses: it shifts
    /// the cache first when the request asks for a context shift, and only when the shifted cache would hold the
    /// reused tokens. <see cref="CacheResume.Missed"/> leaves the cache as it was; <paramref name="entry"/> is the
    /// cache, or null when none is held under the request's id.
    /// </summary>
    public CacheResume TryResume(TurnRequest request, RotaryEmbedding rope, out CacheEntry? entry)
    {
        _entries.TryGetValue(request.CacheId, out entry);
        if (entry?.Turn is not null)
        {
            return CacheResume.Busy;
        }

        var reuse = request.ReuseTokens;
        var shifted = request.ShiftCount == 0 || (entry is not null && ReusedAfterShift(entry, request)
            && TryShift(entry, request.ShiftFrom, request.ShiftCount, rope));
        return !shifted || (reuse > 0 && (entry is null || entry.Tokens.Count < reuse || entry.PrefixHash(reuse) != request.ReuseHash))
            ? CacheResume.Missed
            : CacheResume.Resumed;
    }

    /// <summary>The prompt of a turn on <paramref name="entry"/>: the cached tokens it reuses, then its new ones.</summary>
    public static int[] Prompt(CacheEntry? entry, TurnRequest request) =>
        request.ReuseTokens > 0 ? [.. entry!.Tokens.Take(request.ReuseTokens), .. request.NewTokens] : [.. request.NewTokens];

    /// <summary>Gives a turn the cache <paramref name="id"/> (created when not held), keeping its first <paramref name="keep"/> tokens.</summary>
    public CacheEntry Claim(string id, CacheEntry? entry, int keep, TurnState turn)
    {
        entry ??= Add(id);
        entry.Truncate(keep, Allocator);
        entry.Turn = turn;
        return entry;
    }

    /// <summary>Keeps the first <paramref name="length"/> tokens of a cache and frees the blocks after them.</summary>
    public void Truncate(CacheEntry entry, int length) => entry.Truncate(length, Allocator);

    /// <summary>
    /// The turn on <paramref name="entry"/> completed: the cache is idle again, or freed when it was dropped while the
    /// turn ran. Returns the tokens it holds now and their hash.
    /// </summary>
    public (int Tokens, ulong Hash) Release(CacheEntry entry)
    {
        entry.Turn = null;
        entry.LastUse = NextUse();
        if (entry.Detached)
        {
            entry.Truncate(0, Allocator);
            return (0, TokenHash.Empty);
        }

        return (entry.Tokens.Count, entry.PrefixHash(entry.Tokens.Count));
    }

    public long NextUse() => ++_clock;

    /// <summary>Forgets a cache; one a turn is using is detached and freed when the turn ends.</summary>
    public bool Drop(string id)
    {
        if (!_entries.Remove(id, out var entry))
        {
            return false;
        }

        if (entry.Turn is null)
        {
            entry.Truncate(0, Allocator);
        }
        else
        {
            entry.Detached = true;
        }

        return true;
    }

    /// <summary>Forgets a cache a failed or cancelled turn left unusable, and frees its blocks.</summary>
    public void Discard(CacheEntry entry)
    {
        if (!entry.Detached && _entries.TryGetValue(entry.Id, out var held) && ReferenceEquals(held, entry))
        {
            _entries.Remove(entry.Id);
        }

        entry.Turn = null;
        entry.Truncate(0, Allocator);
    }

    public IReadOnlyList<string> Ids() => _entries.Keys.ToArray();

    /// <summary>Forgets every cache; those turns are using are detached and freed when the turns end.</summary>
    public void DropAll()
    {
        foreach (var id in Ids())
        {
            Drop(id);
        }
    }

    /// <summary>Forgets every cache and every registered prefix: the KV memory behind them is gone.</summary>
    public void Forget()
    {
        DropAll();

        for (var block = 0; block < Allocator.BlockCount; block++)
        {
            Allocator.Unregister(block);
        }
    }

    /// <summary>Drops the least recently used idle cache that holds blocks; false when there is none.</summary>
    public bool EvictIdle()
    {
        CacheEntry? victim = null;
        foreach (var entry in _entries.Values)
        {
            if (entry.Turn is null && entry.Blocks.Count > 0 && (victim is null || entry.LastUse < victim.LastUse))
            {
                victim = entry;
            }
        }

        if (victim is null)
        {
            return false;
        }

        _entries.Remove(victim.Id);
        victim.Truncate(0, Allocator);
        Evictions++;
        return true;
    }

    /// <summary>
    /// Whether a turn that keeps the first <paramref name="keepTokens"/> tokens of <paramref name="entry"/> (none
    /// when null) and must hold <paramref name="tokens"/> can get its blocks now: from free blocks, blocks it
    /// shares through registered prefixes, its own blocks past what it keeps, and blocks held only by idle caches.
    /// </summary>
    public bool CanAdmit(CacheEntry? entry, int keepTokens, IReadOnlyList<int> tokens)
    {
        var kept = entry is null ? 0 : keepTokens / BlockSize;
        var parent = kept == 0 ? KvBlockAllocator.Root : entry!.PrefixIds[kept - 1];
        var matched = new HashSet<int>();
        var matchedFree = 0;
        for (var k = kept; (k + 1) * BlockSize <= tokens.Count; k++)
        {
            if (!Allocator.TryFind(parent, Slice(tokens, k), out var block, out parent))
            {
                break;
            }

            matched.Add(block);
            matchedFree += Allocator.RefCount(block) == 0 ? 1 : 0;
        }

        var needed = BlocksFor(tokens.Count) - kept - matched.Count;
        var free = Allocator.FreeBlocks - matchedFree;
        // Counting what evictions would free walks every idle cache: only when free blocks fall short.
        return needed <= free || needed <= free + Reclaimable(entry, kept, matched);
    }

    /// <summary>
    /// Extends <paramref name="entry"/> with registered full blocks that hold the next tokens of
    /// <paramref name="tokens"/> (of which the entry holds a prefix), and returns how many tokens that served.
    /// The last token is always left to compute: its logits start the reply.
    /// </summary>
    public int MatchPrefix(CacheEntry entry, IReadOnlyList<int> tokens)
    {
        var start = entry.Tokens.Count;
        var k = entry.FullBlocks;
        var parent = k == 0 ? KvBlockAllocator.Root : entry.PrefixIds[k - 1];
        for (; (k + 1) * BlockSize <= tokens.Count; k++)
        {
            if (!Allocator.TryFind(parent, Slice(tokens, k), out var block, out parent))
            {
                break;
            }

            Allocator.Retain(block);
            if (k < entry.Blocks.Count)
            {
                // The entry's partly kept block: the registered full one replaces it.
                Allocator.Release(entry.Blocks[k]);
                entry.Blocks[k] = block;
            }
            else
            {
                entry.Blocks.Add(block);
            }

            entry.PrefixIds.Add(parent);
            entry.Append(tokens, ((k + 1) * BlockSize) - entry.Tokens.Count);
        }

        if (entry.Tokens.Count == tokens.Count)
        {
            entry.Truncate(tokens.Count - 1, Allocator);
        }

        return Math.Max(0, entry.Tokens.Count - start);
    }

    /// <summary>
    /// Gives <paramref name="entry"/> writable blocks for its next <paramref name="count"/> positions: new blocks
    /// past its table, and a private copy of the block it continues when that one is shared or registered.
    /// False, changing nothing, when too few blocks are free.
    /// </summary>
    public bool TryReserve(CacheEntry entry, int count)
    {
        var fresh = BlocksFor(entry.Tokens.Count + count) - entry.Blocks.Count;
        if (Allocator.FreeBlocks < fresh)
        {
            return false;
        }

        var index = entry.Tokens.Count / BlockSize;
        if (index < entry.Blocks.Count && Allocator.MustCopyBeforeWrite(entry.Blocks[index]))
        {
            var shared = entry.Blocks[index];
            if (Allocator.FreeBlocks >= fresh + 1)
            {
                Allocator.TryAllocate(out var copy);
                pool.CopyBlock(shared, copy);
                Allocator.Release(shared);
                entry.Blocks[index] = copy;
            }
            else if (Allocator.RefCount(shared) == 1)
            {
                // The only holder, with no block to copy into: giving up the prefix entry beats waiting.
                Allocator.Unregister(shared);
            }
            else
            {
                return false;
            }
        }

        for (var i = 0; i < fresh; i++)
        {
            Allocator.TryAllocate(out var block);
            entry.Blocks.Add(block);
        }

        return true;
    }

    /// <summary>
    /// Context shift: drops <paramref name="count"/> of <paramref name="entry"/>'s tokens from <paramref name="from"/> and
    /// moves the rest down in its blocks, re-rotating their keys. The blocks written are first made its own (copied
    /// when shared or registered), and the moved ones get private prefix ids: their keys and values approximate
    /// what the shorter sequence would compute, so no other cache may ever find them. False, changing nothing,
    /// when too few blocks are free for the copies.
    /// </summary>
    public bool TryShift(CacheEntry entry, int from, int count, RotaryEmbedding rope)
    {
        var length = entry.Tokens.Count - count;
        var written = Enumerable.Range(from / BlockSize, Math.Max(0, BlocksFor(length) - (from / BlockSize)))
            .Where(i => Allocator.MustCopyBeforeWrite(entry.Blocks[i])).ToArray();
        if (Allocator.FreeBlocks < written.Length)
        {
            return false;
        }

        foreach (var i in written)
        {
            Allocator.TryAllocate(out var copy);
            pool.CopyBlock(entry.Blocks[i], copy);
            Allocator.Release(entry.Blocks[i]);
            entry.Blocks[i] = copy;
        }

        pool.Move(entry.Blocks, from + count, from, length - from, rope);
        entry.Remove(from, count, Allocator);
        return true;
    }

    /// <summary>Records <paramref name="count"/> computed tokens of <paramref name="tokens"/> and registers the blocks they filled.</summary>
    public void Commit(CacheEntry entry, IReadOnlyList<int> tokens, int count)
    {
        entry.Append(tokens, count);
        while (entry.PrefixIds.Count < entry.FullBlocks)
        {
            var k = entry.PrefixIds.Count;
            var parent = k == 0 ? KvBlockAllocator.Root : entry.PrefixIds[k - 1];
            entry.PrefixIds.Add(Allocator.Register(entry.Blocks[k], parent, Slice(entry.Tokens, k)));
        }
    }

    /// <summary>
    /// Whether the cache, once shifted as <paramref name="request"/> asks, would hold the tokens it reuses: checked
    /// before shifting, so a turn that would miss anyway leaves the cache as it was.
    /// </summary>
    private static bool ReusedAfterShift(CacheEntry entry, TurnRequest request)
    {
        var (from, count, reuse) = (request.ShiftFrom, request.ShiftCount, request.ReuseTokens);
        if (from + (long)count > entry.Tokens.Count || reuse > entry.Tokens.Count - count)
        {
            return false;
        }

        var hash = entry.PrefixHash(Math.Min(from, reuse));
        for (var i = from; i < reuse; i++)
        {
            hash = TokenHash.Extend(hash, entry.Tokens[i + count]);
        }

        return hash == request.ReuseHash;
    }

    private int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    private ReadOnlySpan<int> Slice(IReadOnlyList<int> tokens, int block)
    {
        var span = new int[BlockSize];
        for (var i = 0; i < BlockSize; i++)
        {
            span[i] = tokens[(block * BlockSize) + i];
        }

        return span;
    }

    /// <summary>Blocks that evicting every idle cache (and <paramref name="entry"/>'s blocks from <paramref name="keep"/> on) would free.</summary>
    private int Reclaimable(CacheEntry? entry, int keep, HashSet<int> excluded)
    {
        var holders = new Dictionary<int, int>();
        void Count(int block) => holders[block] = holders.GetValueOrDefault(block) + 1;
        foreach (var other in _entries.Values)
        {
            if (other.Turn is null && !ReferenceEquals(other, entry))
            {
                other.Blocks.ForEach(Count);
            }
        }

        for (var i = keep; entry is not null && i < entry.Blocks.Count; i++)
        {
            Count(entry.Blocks[i]);
        }

        return holders.Count(h => !excluded.Contains(h.Key) && h.Value == Allocator.RefCount(h.Key));
    }
}
