namespace Llama.Serving;

/// <summary>Counters of a <see cref="CachedGenerator"/> since it was created.</summary>
public sealed record CacheStatistics(
    long Turns,
    long PrefilledTokens,
    long GeneratedTokens,
    long Hits,
    long Misses,
    long Evictions,
    int CachedSequences);
