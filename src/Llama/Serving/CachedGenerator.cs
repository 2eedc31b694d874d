using Llama.Generation;

namespace Llama.Serving;

/// <summary>
/// Keeps each conversation's KV cache between turns, one cache slot per conversation, evicting the least
/// recently used when all slots are taken. A turn names how many cached tokens it reuses and their hash;
/// only the tokens after them are computed. Turns run one at a time.
/// </summary>
public sealed class CachedGenerator
{
    private readonly TokenGenerator _generator;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Stack<int> _freeSlots;
    private long _clock;
    private long _turns;
    private long _prefilled;
    private long _generated;
    private long _hits;
    private long _misses;
    private long _evictions;

    public CachedGenerator(TokenGenerator generator)
    {
        _generator = generator;
        _freeSlots = new Stack<int>(Enumerable.Range(0, generator.Model.MaxBatchSize).Reverse());
    }

    public TokenGenerator Generator => _generator;

    /// <summary>
    /// Continues the cache <paramref name="cacheId"/>: keeps its first <paramref name="reuseTokens"/> tokens when
    /// their hash is <paramref name="reuseHash"/>, computes <paramref name="newTokens"/> after them and generates
    /// the reply. Throws <see cref="CacheMissException"/>, changing nothing, when the cache cannot be reused;
    /// a failed or cancelled turn drops the cache.
    /// </summary>
    public TurnOutcome Continue(
        string cacheId,
        int reuseTokens,
        ulong reuseHash,
        IReadOnlyList<int> newTokens,
        GenerationOptions options,
        Action<int>? onToken = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheId);
        ArgumentNullException.ThrowIfNull(newTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(reuseTokens);
        lock (_lock)
        {
            _entries.TryGetValue(cacheId, out var entry);
            if (reuseTokens > 0 && (entry is null || entry.Tokens.Count < reuseTokens || entry.PrefixHash(reuseTokens) != reuseHash))
            {
                _misses++;
                throw new CacheMissException(entry is null
                    ? $"Cache '{cacheId}' is not held here."
                    : $"Cache '{cacheId}' does not hold the {reuseTokens} tokens asked for.");
            }

            if (reuseTokens > 0)
            {
                _hits++;
            }

            entry ??= Admit(cacheId);
            var prompt = entry.Tokens.Take(reuseTokens).Concat(newTokens).ToArray();
            // The last prompt token must be computed to get the logits the reply starts from.
            var cached = Math.Min(reuseTokens, prompt.Length - 1);
            entry.LastUse = ++_clock;
            try
            {
                var result = _generator.Generate([new SequenceRequest(entry.Slot, prompt, cached)], options,
                    onToken is null ? null : (_, token) => onToken(token), cancellationToken)[0];
                // The cache holds every token that went through the model: the prompt and the reply but its last.
                var generated = result.Tokens.Count + (result.FinishReason == FinishReason.Stop ? 1 : 0);
                entry.Reset(prompt.Concat(result.Tokens).Take(prompt.Length + Math.Max(0, generated - 1)));
                _turns++;
                _prefilled += prompt.Length - cached;
                _generated += result.GeneratedTokens;
                return new TurnOutcome(result.Tokens, result.FinishReason, prompt.Length - cached, entry.Tokens.Count, entry.PrefixHash(entry.Tokens.Count));
            }
            catch
            {
                Drop(cacheId);
                throw;
            }
        }
    }

    /// <summary>Forgets one cache; true when it was held.</summary>
    public bool Drop(string cacheId)
    {
        lock (_lock)
        {
            if (!_entries.Remove(cacheId, out var entry))
            {
                return false;
            }

            _freeSlots.Push(entry.Slot);
            return true;
        }
    }

    public void DropAll()
    {
        lock (_lock)
        {
            foreach (var id in _entries.Keys.ToArray())
            {
                Drop(id);
            }
        }
    }

    public CacheStatistics Statistics()
    {
        lock (_lock)
        {
            return new CacheStatistics(_turns, _prefilled, _generated, _hits, _misses, _evictions, _entries.Count);
        }
    }

    private Entry Admit(string cacheId)
    {
        if (_freeSlots.Count == 0)
        {
            var victim = _entries.MinBy(e => e.Value.LastUse).Key;
            Drop(victim);
            _evictions++;
        }

        var entry = new Entry(_freeSlots.Pop());
        _entries[cacheId] = entry;
        return entry;
    }

    private sealed class Entry(int slot)
    {
        private readonly List<ulong> _hashes = [TokenHash.Empty];

        public int Slot { get; } = slot;

        public List<int> Tokens { get; } = [];

        public long LastUse { get; set; }

        public ulong PrefixHash(int length) => _hashes[length];

        public void Reset(IEnumerable<int> tokens)
        {
            Tokens.Clear();
            _hashes.RemoveRange(1, _hashes.Count - 1);
            foreach (var token in tokens)
            {
                Tokens.Add(token);
                _hashes.Add(TokenHash.Extend(_hashes[^1], token));
            }
        }
    }
}
