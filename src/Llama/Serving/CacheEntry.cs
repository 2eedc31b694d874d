namespace Llama.Serving;

/// <summary>
/// One conversation's KV cache: the tokens whose keys and values its blocks hold, their hash at every
/// length, its block table and the prefix id of every full block (for registering the blocks after them).
/// </summary>
internal sealed class CacheEntry(string id, int blockSize)
{
    private readonly List<ulong> _hashes = [TokenHash.Empty];

    public string Id { get; } = id;

    public List<int> Tokens { get; } = [];

    /// <summary>Block i holds positions [i × blockSize, (i + 1) × blockSize); the last may be partly filled.</summary>
    public List<int> Blocks { get; } = [];

    /// <summary>The prefix id of each full block: one per <c>blockSize</c> tokens held.</summary>
    public List<long> PrefixIds { get; } = [];

    public long LastUse { get; set; }

    /// <summary>The turn admitted on this cache (running or preempted); null while idle.</summary>
    public TurnState? Turn { get; set; }

    /// <summary>Dropped while a turn ran: the turn still uses the blocks and frees them when it ends.</summary>
    public bool Detached { get; set; }

    public int FullBlocks => Tokens.Count / blockSize;

    public ulong PrefixHash(int length) => _hashes[length];

    /// <summary>Records that positions Tokens.Count.. now hold <paramref name="count"/> tokens of <paramref name="source"/> from there.</summary>
    public void Append(IReadOnlyList<int> source, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var token = source[Tokens.Count];
            Tokens.Add(token);
            _hashes.Add(TokenHash.Extend(_hashes[^1], token));
        }
    }

    /// <summary>
    /// Forgets <paramref name="count"/> tokens from <paramref name="from"/> after the caller moved the later ones down in
    /// the blocks (context shift); releases the blocks no longer needed. Full blocks from the shift on get prefix ids
    /// nothing is registered under, so neither they nor blocks registered after them can be found by others.
    /// </summary>
    public void Remove(int from, int count, KvBlockAllocator allocator)
    {
        Tokens.RemoveRange(from, count);
        _hashes.RemoveRange(from + 1, _hashes.Count - from - 1);
        for (var i = from; i < Tokens.Count; i++)
        {
            _hashes.Add(TokenHash.Extend(_hashes[^1], Tokens[i]));
        }

        var keepBlocks = (Tokens.Count + blockSize - 1) / blockSize;
        for (var i = Blocks.Count - 1; i >= keepBlocks; i--)
        {
            allocator.Release(Blocks[i]);
        }

        Blocks.RemoveRange(keepBlocks, Blocks.Count - keepBlocks);
        PrefixIds.RemoveRange(from / blockSize, PrefixIds.Count - (from / blockSize));
        while (PrefixIds.Count < FullBlocks)
        {
            PrefixIds.Add(allocator.NewPrivateId());
        }
    }

    /// <summary>Keeps the first <paramref name="length"/> tokens, releasing the blocks after them, the last block first.</summary>
    public void Truncate(int length, KvBlockAllocator allocator)
    {
        var keepBlocks = (length + blockSize - 1) / blockSize;
        for (var i = Blocks.Count - 1; i >= keepBlocks; i--)
        {
            allocator.Release(Blocks[i]);
        }

        if (keepBlocks < Blocks.Count)
        {
            Blocks.RemoveRange(keepBlocks, Blocks.Count - keepBlocks);
        }

        if (length < Tokens.Count)
        {
            Tokens.RemoveRange(length, Tokens.Count - length);
            _hashes.RemoveRange(length + 1, _hashes.Count - length - 1);
        }

        var fullBlocks = length / blockSize;
        if (fullBlocks < PrefixIds.Count)
        {
            PrefixIds.RemoveRange(fullBlocks, PrefixIds.Count - fullBlocks);
        }
    }
}
