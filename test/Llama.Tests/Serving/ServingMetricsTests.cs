using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Llama.Generation;
using Llama.Serving;

namespace Llama.Tests.Serving;

public sealed class ServingMetricsTests
{
    [Fact]
    public async Task Instruments_of_one_engine_add_up_to_its_statistics()
    {
        // The smallest pool with 4-token blocks, so the turns below evict and preempt.
        using var served = Stories.Build(4, Stories.MaxSeqLen / 4);
        using var engine = new ServingEngine(served.Generator);
        using var otherModel = Stories.Build();
        using var other = new ServingEngine(otherModel.Generator);
        using var listener = new EngineListener(engine);

        var prompts = Stories.Texts.Select(t => Stories.Prompt(served, t)).ToArray();
        await Task.WhenAll(await Stories.WhileHeld(engine, () => prompts.Select((p, i) => engine.Run($"c{i}", p, Stories.Greedy(50))).ToArray()));
        await engine.Run("first", prompts[0], Stories.Greedy(5));
        await engine.Run("repeat", prompts[0], Stories.Greedy(5));
        await other.Run("elsewhere", prompts[0], Stories.Greedy(5));
        listener.Observe();

        var stats = engine.Statistics();
        Assert.True(stats.Preemptions > 0 && stats.Evictions > 0 && stats.PrefixHitTokens > 0, stats.ToString());
        Assert.Equal(stats.PrefilledTokens, listener.Sum(ServingMetrics.PrefillTokens));
        Assert.Equal(stats.GeneratedTokens, listener.Sum(ServingMetrics.DecodeTokens));
        Assert.Equal(stats.PrefixHitTokens, listener.Sum(ServingMetrics.PrefixHitTokens));
        Assert.Equal(stats.Evictions, listener.Sum(ServingMetrics.Evictions));
        Assert.Equal(stats.Preemptions, listener.Sum(ServingMetrics.Preemptions));
        var batches = listener.Values(ServingMetrics.BatchSize);
        Assert.Equal(stats.DecodeSteps, batches.Count);
        Assert.True(batches.Max() > 1);
        Assert.Equal(stats.KvBlocksUsed, listener.Last(ServingMetrics.KvBlocksUsed));
        Assert.Equal(stats.KvBlocksFree, listener.Last(ServingMetrics.KvBlocksFree));
        Assert.Equal(served.Model.Cache.BlockCount, stats.KvBlocksUsed + stats.KvBlocksFree);
        Assert.Equal(0, listener.Last(ServingMetrics.QueueLength));
        Assert.Equal(0, listener.Last(ServingMetrics.ActiveSequences));
        Assert.Equal(served.Model.Cache.BytesPerToken, stats.KvBytesPerToken);
        Assert.Equal(4, stats.KvBlockSize);
    }

    [Fact]
    public async Task Gauges_show_queued_and_running_turns_while_they_wait()
    {
        using var served = Stories.Build();
        using var engine = new ServingEngine(served.Generator, new ServingOptions { MaxBatchSequences = 1 });
        using var listener = new EngineListener(engine);
        var prompt = Stories.Prompt(served, Stories.Texts[0]);
        Task<TurnOutcome>? queued = null;
        var count = 0;

        await engine.Run("first", prompt, Stories.Greedy(10), onToken: _ =>
        {
            if (++count == 1)
            {
                queued = engine.RunAsync(new TurnRequest("second", prompt, Stories.Greedy(5)));
                listener.Observe();
            }
        });
        await queued!.WaitAsync(Stories.Timeout);

        Assert.Equal(1, listener.Last(ServingMetrics.QueueLength));
        Assert.Equal(1, listener.Last(ServingMetrics.ActiveSequences));
        Assert.True(listener.Last(ServingMetrics.KvBlocksUsed) > 0);
    }

    /// <summary>Records every measurement of one engine's instruments.</summary>
    private sealed class EngineListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, long Value)> _measurements = new();

        public EngineListener(ServingEngine engine)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ServingMetrics.MeterName && instrument.Meter.Scope == engine)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => _measurements.Enqueue((instrument.Name, value)));
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _measurements.Enqueue((instrument.Name, value)));
            _listener.Start();
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public List<long> Values(string name) => _measurements.Where(m => m.Name == name).Select(m => m.Value).ToList();

        public long Sum(string name) => Values(name).Sum();

        public long Last(string name) => Values(name)[^1];

        public void Dispose() => _listener.Dispose();
    }
}
