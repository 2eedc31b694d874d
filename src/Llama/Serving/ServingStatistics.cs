namespace Llama.Serving;

/// <summary>A snapshot of a <see cref="ServingEngine"/>: counters since it started and its state now.</summary>
/// <param name="Turns">Turns completed.</param>
/// <param name="PrefilledTokens">Prompt tokens computed, recomputation after preemption included.</param>
/// <param name="GeneratedTokens">Tokens sampled.</param>
/// <param name="Hits">Turns that reused their conversation's cache.</param>
/// <param name="Misses">Turns refused because the cache they named was gone or held other tokens.</param>
/// <param name="Evictions">Idle conversation caches dropped to free KV blocks.</param>
/// <param name="Preemptions">Running turns paused (their blocks freed) to let others go on; they resume by recomputing.</param>
/// <param name="CachedSequences">Conversation caches held.</param>
/// <param name="QueueLength">Turns waiting for admission.</param>
/// <param name="ActiveSequences">Turns admitted and running.</param>
/// <param name="KvBlocksUsed">KV blocks held by some cache.</param>
/// <param name="KvBlocksFree">KV blocks held by none (some still keep a prefix for later hits).</param>
/// <param name="KvBlockSize">Token positions per block.</param>
/// <param name="KvBytesPerToken">Bytes of one token's keys and values, all layers.</param>
/// <param name="TokensHeld">Tokens the conversation caches hold, a prefix shared by several counted once for each.</param>
/// <param name="PrefixHitTokens">Prompt tokens served from full blocks other caches computed.</param>
/// <param name="DecodeSteps">Forward steps run.</param>
/// <param name="ContextShifts">Turns that dropped cached tokens and shifted the rest instead of recomputing them.</param>
public sealed record ServingStatistics(
    long Turns,
    long PrefilledTokens,
    long GeneratedTokens,
    long Hits,
    long Misses,
    long Evictions,
    long Preemptions,
    int CachedSequences,
    int QueueLength,
    int ActiveSequences,
    int KvBlocksUsed,
    int KvBlocksFree,
    int KvBlockSize,
    long KvBytesPerToken,
    long TokensHeld,
    long PrefixHitTokens,
    long DecodeSteps,
    long ContextShifts);
