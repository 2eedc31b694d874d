using System.Diagnostics;
using System.Numerics.Tensors;
using Llama.Checkpoints;
using Llama.Model;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Llama.Bench.Peer;

/// <summary>Prefill, one-stream decode and many-stream decode of one GGUF file, by the engine and by llama.cpp.</summary>
internal static class PeerRunner
{
    /// <summary>Tokens of the untimed first step on each side: enough rows to take the matrix-matrix kernels.</summary>
    private const int Warmup = 4;

    public sealed record Timing(double PrefillTokensPerSecond, double DecodeTokensPerSecond, double BatchedTokensPerSecond);

    public static Timing Ours(string path, int[] prompt, int decode, int streams, int threads)
    {
        using var checkpoint = CheckpointLoader.Open(path);
        using var model = Transformer.Load(checkpoint, checkpoint.Args, prompt.Length + decode + 1, streams,
            new EngineOptions { Threads = threads, KvCacheSequences = streams });
        // A few tokens on another slot first, as llama.cpp's own bench warms up: the mapped weights' first page faults
        // and the kernels' compilation are not prefill (llama.cpp reads its mapping in at load).
        model.Forward([new SequenceInput(model.SlotBlocks(Math.Min(1, streams - 1)), 0, prompt[..Math.Min(Warmup, prompt.Length)])]);
        // The whole KV pool made resident untimed, as llama.cpp clears its whole KV buffer when it makes the context:
        // the engine otherwise takes a block's pages on its first use (see bench/README.md for what that costs).
        for (var block = 0; block < model.Cache.BlockCount; block++)
        {
            model.Cache.Commit(block);
        }

        var clock = Stopwatch.StartNew();
        var logits = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, prompt)])[0];
        var prefill = prompt.Length / clock.Elapsed.TotalSeconds;

        clock.Restart();
        for (var i = 0; i < decode; i++)
        {
            logits = model.Forward([new SequenceInput(model.SlotBlocks(0), prompt.Length + i, [TensorPrimitives.IndexOfMax(logits)])])[0];
        }

        var single = decode / clock.Elapsed.TotalSeconds;
        var tokens = Enumerable.Range(0, streams).Select(s => prompt[s % prompt.Length]).ToArray();
        clock.Restart();
        for (var i = 0; i < decode; i++)
        {
            var step = model.Forward(Enumerable.Range(0, streams).Select(s => new SequenceInput(model.SlotBlocks(s), i, [tokens[s]])).ToArray());
            for (var s = 0; s < streams; s++)
            {
                tokens[s] = TensorPrimitives.IndexOfMax(step[s]);
            }
        }

        return new Timing(prefill, single, streams * decode / clock.Elapsed.TotalSeconds);
    }

    public static Timing LlamaCpp(string path, int[] prompt, int decode, int streams, int threads)
    {
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)(streams * (decode + 1)) + (uint)prompt.Length + (uint)decode + 16,
            BatchSize = (uint)Math.Max(prompt.Length, streams),
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            SeqMax = (uint)streams + 2,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        // The same warm-up, on a sequence no later step reads.
        var warmup = Math.Min(Warmup, prompt.Length);
        for (var i = 0; i < warmup; i++)
        {
            batch.Add((LLamaToken)prompt[i], i, (LLamaSeqId)(streams + 1), logits: i == warmup - 1);
        }

        Check(context.Decode(batch));
        batch.Clear();
        for (var i = 0; i < prompt.Length; i++)
        {
            batch.Add((LLamaToken)prompt[i], i, LLamaSeqId.Zero, logits: i == prompt.Length - 1);
        }

        var clock = Stopwatch.StartNew();
        Check(context.Decode(batch));
        var prefill = prompt.Length / clock.Elapsed.TotalSeconds;
        var next = TensorPrimitives.IndexOfMax(context.NativeHandle.GetLogitsIth(prompt.Length - 1));

        clock.Restart();
        for (var i = 0; i < decode; i++)
        {
            batch.Clear();
            batch.Add((LLamaToken)next, prompt.Length + i, LLamaSeqId.Zero, logits: true);
            Check(context.Decode(batch));
            next = TensorPrimitives.IndexOfMax(context.NativeHandle.GetLogitsIth(0));
        }

        var single = decode / clock.Elapsed.TotalSeconds;
        // Many streams as one batch of one token per sequence each step, as LLamaSharp's BatchedExecutor decodes them.
        var tokens = Enumerable.Range(0, streams).Select(s => prompt[s % prompt.Length]).ToArray();
        clock.Restart();
        for (var i = 0; i < decode; i++)
        {
            batch.Clear();
            for (var s = 0; s < streams; s++)
            {
                batch.Add((LLamaToken)tokens[s], i, (LLamaSeqId)(s + 1), logits: true);
            }

            Check(context.Decode(batch));
            for (var s = 0; s < streams; s++)
            {
                tokens[s] = TensorPrimitives.IndexOfMax(context.NativeHandle.GetLogitsIth(s));
            }
        }

        return new Timing(prefill, single, streams * decode / clock.Elapsed.TotalSeconds);
    }

    private static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok)
        {
            throw new BenchException($"llama.cpp decode failed: {result}.");
        }
    }
}
