namespace Llama.Serving;

/// <summary>
/// The counts behind <see cref="ServingStatistics"/>, recorded as the events happen, each also reported to the
/// engine's <see cref="ServingMetrics"/> when it has them. Not thread-safe: the engine serializes calls.
/// </summary>
internal sealed class ServingCounters(ServingMetrics? metrics = null)
{
    public long Turns { get; private set; }

    public long PrefilledTokens { get; private set; }

    public long GeneratedTokens { get; private set; }

    public long Hits { get; private set; }

    public long Misses { get; private set; }

    public long Preemptions { get; private set; }

    public long PrefixHitTokens { get; private set; }

    public long Steps { get; private set; }

    public long Shifts { get; private set; }

    public void Completed() => Turns++;

    public void Missed() => Misses++;

    /// <summary>A turn was admitted: it reused its cache or not, shifted it or not, and found <paramref name="prefixHitTokens"/> tokens computed by other caches.</summary>
    public void Admitted(bool reused, bool shifted, int prefixHitTokens)
    {
        Hits += reused ? 1 : 0;
        Shifts += shifted ? 1 : 0;
        PrefixHitTokens += prefixHitTokens;
        if (prefixHitTokens > 0)
        {
            metrics?.PrefixHit(prefixHitTokens);
        }
    }

    public void Evicted() => metrics?.Eviction();

    public void Preempted()
    {
        Preemptions++;
        metrics?.Preemption();
    }

    public void Stepped(int sequences, int prefilledTokens, int generatedTokens)
    {
        PrefilledTokens += prefilledTokens;
        GeneratedTokens += generatedTokens;
        Steps++;
        metrics?.Step(sequences, prefilledTokens, generatedTokens);
    }

    public ServingStatistics Snapshot(ConversationCaches caches, int queued, int running, long bytesPerToken) =>
        new(Turns, PrefilledTokens, GeneratedTokens, Hits, Misses, caches.Evictions, Preemptions, caches.Count, queued, running,
            caches.UsedBlocks, caches.FreeBlocks, caches.BlockSize, bytesPerToken, caches.TokensHeld, PrefixHitTokens, Steps, Shifts);
}
