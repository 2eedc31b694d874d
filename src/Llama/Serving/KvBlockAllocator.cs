namespace Llama.Serving;

/// <summary>
/// Hands out the KV pool's blocks by id with reference counts, and keeps full blocks findable by the tokens
/// they hold (automatic prefix caching). A full block is registered under its parent prefix (the id of the
/// registration of the block before it, <see cref="Root"/> for the first) and its own tokens, so a lookup
/// matches only when every token from position 0 through the block's end is the same. Registration ids are
/// never reused, so a chain built on a block that was reallocated can never match other content.
/// A block whose last reference is released stays registered and findable until it is reallocated:
/// allocation takes blocks that hold nothing first, then registered ones least recently freed first.
/// Pure bookkeeping: the caller moves the tensors (copy-on-write copies).
/// </summary>
public sealed class KvBlockAllocator
{
    /// <summary>The parent prefix of a sequence's first block.</summary>
    public const long Root = 0;

    private readonly int[] _refCounts;
    private readonly Stack<int> _empty;
    private readonly LinkedList<int> _cached = new();
    private readonly LinkedListNode<int>?[] _cachedNodes;
    private readonly Registration?[] _registrations;
    private readonly Dictionary<PrefixKey, int> _prefixes = [];
    private long _lastId = Root;

    public KvBlockAllocator(int blockCount, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        BlockCount = blockCount;
        BlockSize = blockSize;
        _refCounts = new int[blockCount];
        _cachedNodes = new LinkedListNode<int>?[blockCount];
        _registrations = new Registration?[blockCount];
        // Popped in ascending order, so a fresh allocator hands out 0, 1, 2, ...
        _empty = new Stack<int>(Enumerable.Range(0, blockCount).Reverse());
    }

    public int BlockCount { get; }

    public int BlockSize { get; }

    /// <summary>Blocks no sequence holds: empty ones and registered ones kept for prefix hits.</summary>
    public int FreeBlocks => _empty.Count + _cached.Count;

    public int UsedBlocks => BlockCount - FreeBlocks;

    /// <summary>Free blocks that still hold a registered prefix.</summary>
    public int CachedBlocks => _cached.Count;

    public int RegisteredBlocks => _prefixes.Count;

    public int RefCount(int block) => _refCounts[Check(block)];

    public bool IsRegistered(int block) => _registrations[Check(block)] is not null;

    /// <summary>
    /// True when writing into <paramref name="block"/> would change what another holder or a future prefix
    /// hit reads: the writer must take a fresh block and copy the contents first.
    /// </summary>
    public bool MustCopyBeforeWrite(int block) => RefCount(block) > 1 || IsRegistered(block);

    /// <summary>
    /// Takes a free block with one reference; a registered block taken this way is unregistered first.
    /// False when every block is held.
    /// </summary>
    public bool TryAllocate(out int block)
    {
        if (_empty.TryPop(out block))
        {
            _refCounts[block] = 1;
            return true;
        }

        if (_cached.First is { } oldest)
        {
            block = oldest.Value;
            _cached.RemoveFirst();
            _cachedNodes[block] = null;
            Unregister(block);
            _refCounts[block] = 1;
            return true;
        }

        block = -1;
        return false;
    }

    /// <summary>Adds a holder to a block that is held or registered (a prefix hit on a free registered block takes it off the free list).</summary>
    public void Retain(int block)
    {
        if (_refCounts[Check(block)] == 0)
        {
            if (_cachedNodes[block] is not { } node)
            {
                throw new InvalidOperationException($"KV block {block} is free and holds no registered prefix: allocate it instead.");
            }

            _cached.Remove(node);
            _cachedNodes[block] = null;
        }

        _refCounts[block]++;
    }

    /// <summary>Drops one holder; at none the block is free (and stays findable when registered).</summary>
    public void Release(int block)
    {
        if (_refCounts[Check(block)] == 0)
        {
            throw new InvalidOperationException($"KV block {block} is released more often than it was held.");
        }

        if (--_refCounts[block] > 0)
        {
            return;
        }

        if (_registrations[block] is not null)
        {
            _cachedNodes[block] = _cached.AddLast(block);
        }
        else
        {
            _empty.Push(block);
        }
    }

    /// <summary>
    /// Records that held block <paramref name="block"/> is full with <paramref name="tokens"/> following the prefix
    /// <paramref name="parent"/>, and returns the id naming this whole prefix (the id of an earlier registration
    /// of the same prefix, when another block already holds it; that one stays the block that lookups find).
    /// </summary>
    public long Register(int block, long parent, ReadOnlySpan<int> tokens)
    {
        if (_refCounts[Check(block)] == 0)
        {
            throw new InvalidOperationException($"KV block {block} is not held: only a held, full block can be registered.");
        }

        CheckFull(tokens);
        if (_registrations[block] is { } existing)
        {
            if (existing.Key.Parent != parent || !tokens.SequenceEqual(existing.Tokens))
            {
                throw new InvalidOperationException($"KV block {block} is already registered for other tokens.");
            }

            return existing.Id;
        }

        var key = new PrefixKey(parent, Hash(tokens));
        if (_prefixes.TryGetValue(key, out var holder))
        {
            var other = _registrations[holder]!;
            // Same prefix already held elsewhere: share its name. A hash collision with other tokens gets a name
            // of its own that nothing can find, so its chain never mixes with another.
            return tokens.SequenceEqual(other.Tokens) ? other.Id : ++_lastId;
        }

        var registration = new Registration(++_lastId, key, tokens.ToArray());
        _registrations[block] = registration;
        _prefixes[key] = block;
        return registration.Id;
    }

    /// <summary>A prefix id no registration has: blocks chained under it can never be found from <see cref="Root"/>.</summary>
    public long NewPrivateId() => ++_lastId;

    /// <summary>Finds the registered block holding <paramref name="tokens"/> after prefix <paramref name="parent"/> (not retained).</summary>
    public bool TryFind(long parent, ReadOnlySpan<int> tokens, out int block, out long prefixId)
    {
        CheckFull(tokens);
        if (_prefixes.TryGetValue(new PrefixKey(parent, Hash(tokens)), out block) && tokens.SequenceEqual(_registrations[block]!.Tokens))
        {
            prefixId = _registrations[block]!.Id;
            return true;
        }

        block = -1;
        prefixId = 0;
        return false;
    }

    /// <summary>
    /// Takes <paramref name="block"/> out of the prefix table, so that its only holder may write into it when no
    /// block is free to copy it to; later lookups of its prefix miss.
    /// </summary>
    public void Unregister(int block)
    {
        if (_registrations[Check(block)] is { } registration)
        {
            _prefixes.Remove(registration.Key);
            _registrations[block] = null;
        }

        if (_cachedNodes[block] is { } node)
        {
            // A free block that holds nothing findable any more.
            _cached.Remove(node);
            _cachedNodes[block] = null;
            _empty.Push(block);
        }
    }

    private static ulong Hash(ReadOnlySpan<int> tokens)
    {
        var hash = TokenHash.Empty;
        foreach (var token in tokens)
        {
            hash = TokenHash.Extend(hash, token);
        }

        return hash;
    }

    private void CheckFull(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length != BlockSize)
        {
            throw new ArgumentException($"A registered block holds exactly {BlockSize} tokens, got {tokens.Length}.", nameof(tokens));
        }
    }

    private int Check(int block)
    {
        if ((uint)block >= (uint)BlockCount)
        {
            throw new ArgumentOutOfRangeException(nameof(block), block, $"KV block ids run 0..{BlockCount - 1}.");
        }

        return block;
    }

    private readonly record struct PrefixKey(long Parent, ulong Hash);

    private sealed record Registration(long Id, PrefixKey Key, int[] Tokens);
}
