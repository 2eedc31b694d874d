using Llama.Generation;
using Llama.Model;
using Llama.Serving;

namespace Llama.Bench.Serving;

/// <summary>The bench model loaded on the CPU with a serving engine over it.</summary>
internal sealed class BenchEngine : IDisposable
{
    /// <summary>The random model's context, which every section uses.</summary>
    public static int MaxSeqLen => LegacyModelConfig.Shape110M.SeqLen;

    private BenchEngine(LlamaGenerator llama, ServingEngine engine)
    {
        Llama = llama;
        Engine = engine;
    }

    public LlamaGenerator Llama { get; }

    public ServingEngine Engine { get; }

    /// <param name="sequences">Most sequences decoded together (and the model's batch size).</param>
    /// <param name="maxSeqLen">Positions per sequence, at most the model's context <see cref="MaxSeqLen"/>.</param>
    /// <param name="kvCacheBytes">KV cache budget; null for the static cache of every sequence at full length.</param>
    /// <param name="device">cpu, cuda or cuda:N.</param>
    /// <param name="kvDType">KV cache element type (float32, bfloat16, float16); null for the compute precision.</param>
    public static BenchEngine Load(BenchModel model, string device, int threads, int sequences, int maxSeqLen, long? kvCacheBytes, string? kvDType)
    {
        var options = new EngineOptions
        {
            Device = device,
            Threads = threads,
            KvCacheBytes = kvCacheBytes,
            KvCacheDType = kvDType is null ? null : EngineOptions.ParseKvCacheDType(kvDType),
        };
        var llama = LlamaGenerator.Build(model.Path, model.EngineTokenizer, maxSeqLen, sequences, options);
        try
        {
            return new BenchEngine(llama, new ServingEngine(llama.Generator, new ServingOptions { MaxBatchSequences = sequences }));
        }
        catch
        {
            llama.Dispose();
            throw;
        }
    }

    /// <summary>Runs one greedy request of at most <paramref name="tokens"/> new tokens, timing its tokens as they come.</summary>
    public async Task<(StreamTiming Timing, TurnOutcome Outcome)> RunAsync(
        TurnRequest request, CancellationToken cancellationToken)
    {
        var clock = new TokenClock();
        var outcome = await Engine.RunAsync(request, _ => clock.Token(), cancellationToken).ConfigureAwait(false);
        return (clock.Finish(), outcome);
    }

    public static GenerationOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxGenLen = maxTokens };

    public void Dispose()
    {
        Engine.Dispose();
        Llama.Dispose();
    }
}
