using System.Diagnostics.Metrics;

namespace Llama.Serving;

/// <summary>
/// The instruments of one <see cref="ServingEngine"/>, on a meter named <see cref="MeterName"/> whose
/// <see cref="Meter.Scope"/> is the engine, so a listener can tell engines apart.
/// </summary>
public sealed class ServingMetrics : IDisposable
{
    public const string MeterName = "Llama.Serving";
    public const string QueueLength = "llama.serving.queue_length";
    public const string ActiveSequences = "llama.serving.active_sequences";
    public const string KvBlocksUsed = "llama.serving.kv_blocks_used";
    public const string KvBlocksFree = "llama.serving.kv_blocks_free";
    public const string PrefillTokens = "llama.serving.prefill_tokens";
    public const string DecodeTokens = "llama.serving.decode_tokens";
    public const string PrefixHitTokens = "llama.serving.prefix_hit_tokens";
    public const string Evictions = "llama.serving.evictions";
    public const string Preemptions = "llama.serving.preemptions";
    public const string BatchSize = "llama.serving.batch_size";

    private readonly Meter _meter;
    private readonly Counter<long> _prefillTokens;
    private readonly Counter<long> _decodeTokens;
    private readonly Counter<long> _prefixHitTokens;
    private readonly Counter<long> _evictions;
    private readonly Counter<long> _preemptions;
    private readonly Histogram<int> _batchSize;

    internal ServingMetrics(object scope, Func<int> queueLength, Func<int> activeSequences, Func<int> blocksUsed, Func<int> blocksFree)
    {
        _meter = new Meter(new MeterOptions(MeterName) { Scope = scope });
        _meter.CreateObservableGauge(QueueLength, queueLength, "{request}", "Turns waiting for admission");
        _meter.CreateObservableGauge(ActiveSequences, activeSequences, "{sequence}", "Turns admitted and running");
        _meter.CreateObservableGauge(KvBlocksUsed, blocksUsed, "{block}", "KV blocks held by some cache");
        _meter.CreateObservableGauge(KvBlocksFree, blocksFree, "{block}", "KV blocks held by no cache");
        _prefillTokens = _meter.CreateCounter<long>(PrefillTokens, "{token}", "Prompt tokens computed");
        _decodeTokens = _meter.CreateCounter<long>(DecodeTokens, "{token}", "Tokens generated");
        _prefixHitTokens = _meter.CreateCounter<long>(PrefixHitTokens, "{token}", "Prompt tokens served from blocks other caches computed");
        _evictions = _meter.CreateCounter<long>(Evictions, "{cache}", "Idle conversation caches dropped for memory");
        _preemptions = _meter.CreateCounter<long>(Preemptions, "{sequence}", "Running turns paused for memory");
        _batchSize = _meter.CreateHistogram<int>(BatchSize, "{sequence}", "Sequences per forward step");
    }

    internal void Step(int sequences, int prefillTokens, int decodeTokens)
    {
        _batchSize.Record(sequences);
        if (prefillTokens > 0)
        {
            _prefillTokens.Add(prefillTokens);
        }

        if (decodeTokens > 0)
        {
            _decodeTokens.Add(decodeTokens);
        }
    }

    internal void PrefixHit(int tokens) => _prefixHitTokens.Add(tokens);

    internal void Eviction() => _evictions.Add(1);

    internal void Preemption() => _preemptions.Add(1);

    public void Dispose() => _meter.Dispose();
}
