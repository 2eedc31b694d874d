using LLama;
using LLama.Common;
using LLama.Native;

namespace Llama.Reference.Tests;

/// <summary>llama.cpp through LLamaSharp: its quantizer, and its logits for a token sequence.</summary>
internal static class LlamaCpp
{
    public static void Quantize(string source, string target, LLamaFtype type)
    {
        // The quantizer's first call would bypass LLamaSharp's choice of native build (AVX2, AVX-512): load it first.
        NativeApi.llama_empty_call();
        if (!LLamaQuantizer.Quantize(source, target, type, nthread: 2))
        {
            throw new InvalidOperationException($"llama.cpp could not quantize {source} to {type}.");
        }
    }

    /// <summary>Logits at every position of <paramref name="tokens"/>, run as one prefill with a float32 KV cache.</summary>
    public static float[][] Logits(string model, IReadOnlyList<int> tokens, int threads)
    {
        var parameters = new ModelParams(model)
        {
            ContextSize = (uint)tokens.Count + 16,
            BatchSize = (uint)tokens.Count,
            UBatchSize = (uint)tokens.Count,
            Threads = threads,
            GpuLayerCount = 0,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        for (var i = 0; i < tokens.Count; i++)
        {
            batch.Add((LLamaToken)tokens[i], i, LLamaSeqId.Zero, logits: true);
        }

        var result = context.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama.cpp decode failed: {result}.");
        }

        return Enumerable.Range(0, tokens.Count).Select(i => context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }
}
