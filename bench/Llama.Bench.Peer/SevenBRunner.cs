using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Llama.Checkpoints;
using Llama.Kernels;
using Llama.Model;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Bench.Peer;

/// <summary>
/// A 7B-shape Q4_K model, seeded random and written as blocks by the tests' GGUF writer into a temporary folder that is
/// deleted afterwards: the process's resident memory once it is loaded and at its peak while decoding, decode tok/s,
/// and the share of the host's read bandwidth its weights stream at.
/// </summary>
internal static class SevenBRunner
{
    /// <summary>Llama 2 7B: dim 4096, 32 layers of 32 heads, FFN 11008, vocabulary 32,000.</summary>
    public static readonly ModelArgs Shape = new() { Dim = 4096, NLayers = 32, NHeads = 32, ExplicitHiddenDim = 11008, VocabSize = 32000, TrainedSeqLen = 4096 };

    /// <summary>The issue's bound on the resident memory of a loaded, decoding 7B Q4_K model.</summary>
    private const long RssBound = 5_000_000_000;

    public static void Run(int threads, int prompt, int decode, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("llama-bench-7b-");
        try
        {
            var path = Path.Combine(folder.FullName, "random7B-Q4_K.gguf");
            Console.Error.WriteLine($"writing {path}");
            var clock = Stopwatch.StartNew();
            GgufModels.WriteRandomQ4K(path, Shape, GgufModels.SyntheticVocabulary(Shape.VocabSize), seed: 1);
            var fileBytes = new FileInfo(path).Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"7B shape Q4_K: file {fileBytes / 1e9:F2} GB written in {clock.Elapsed.TotalSeconds:F0} s; {threads} threads, prompt {prompt}, decode {decode}"));
            cancellationToken.ThrowIfCancellationRequested();

            // The writer's garbage is not the model's: collect it before the baseline.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = ProcessMemory.Resident;
            ProcessMemory.ResetPeak();
            clock.Restart();
            Transformer model;
            using (var checkpoint = CheckpointLoader.Open(path))
            {
                model = Transformer.Load(checkpoint, checkpoint.Args, prompt + decode + 1, 1, new EngineOptions { Threads = threads });
            }

            using (model)
            {
                var loadSeconds = clock.Elapsed.TotalSeconds;
                var loaded = ProcessMemory.Resident;
                var random = new Random(3);
                int[] tokens = [1, .. Enumerable.Range(0, prompt - 1).Select(_ => random.Next(259, Shape.VocabSize))];
                clock.Restart();
                var logits = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, tokens)])[0];
                var prefillSeconds = clock.Elapsed.TotalSeconds;
                clock.Restart();
                for (var i = 0; i < decode; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    logits = model.Forward([new SequenceInput(model.SlotBlocks(0), prompt + i, [TensorPrimitives.IndexOfMax(logits)])])[0];
                }

                var tokensPerSecond = decode / clock.Elapsed.TotalSeconds;
                var peak = ProcessMemory.Peak;
                if (!logits.All(float.IsFinite))
                {
                    throw new BenchException("the 7B-shape model's logits are not finite.");
                }

                // Each step streams every matrix but the embedding table, of which it reads one row per token.
                var streamed = fileBytes - (Shape.VocabSize * WeightType.Q4_K.RowBytes(Shape.Dim));
                var bandwidth = MemoryBandwidth.MeasureBytesPerSecond(threads, MemoryBandwidth.DefaultBytes, 3, cancellationToken);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"load {loadSeconds:F1} s; RSS before load {before / 1e9:F2} GB, loaded {loaded / 1e9:F2} GB, peak while decoding {peak / 1e9:F2} GB (bound {RssBound / 1e9:F0} GB: {(peak <= RssBound ? "met" : "NOT met")}); KV cache {model.Cache.Bytes / 1e6:F0} MB"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"prefill {prompt / prefillSeconds:F2} tok/s; decode {tokensPerSecond:F2} tok/s = {streamed * tokensPerSecond / 1e9:F1} GB/s of weights, {streamed * tokensPerSecond / bandwidth:P0} of the host's {bandwidth / 1e9:F1} GB/s read bandwidth ({threads} threads)"));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
