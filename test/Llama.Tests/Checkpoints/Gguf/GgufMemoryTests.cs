using System.Globalization;
using Llama.Checkpoints;
using Llama.Checkpoints.Storage;
using Llama.Model;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Tests.Checkpoints.Gguf;

/// <summary>Quantized matrices are used where the file's pages are: a model costs its file, its KV cache and a constant.</summary>
[Collection(nameof(MemoryMeasurement))]
public sealed unsafe class GgufMemoryTests
{
    private const long Slack = 64L << 20;

    [Fact]
    public void A_q4k_110M_shape_model_takes_its_file_and_kv_cache_and_a_constant_and_its_matrices_are_the_file_pages()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self");
        using var folder = new TempFolder();
        var path = folder.File("random110M-Q4_K.gguf");
        var shape = new ModelArgs { Dim = 768, NLayers = 12, NHeads = 12, ExplicitHiddenDim = 2048, VocabSize = 32000, TrainedSeqLen = 1024 };
        GgufModels.WriteRandomQ4K(path, shape, GgufModels.SyntheticVocabulary(shape.VocabSize), seed: 1);
        var fileBytes = new FileInfo(path).Length;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = ProcessMemory.Resident;
        ProcessMemory.ResetPeak();
        Transformer model;
        using (var checkpoint = CheckpointLoader.Open(path))
        {
            model = Transformer.Load(checkpoint, checkpoint.Args, 512, 1, new EngineOptions { Threads = 2 });
        }

        using (model)
        {
            // The checkpoint is gone; the matrices still read the file through their own mapping.
            var prompt = Enumerable.Range(300, 16).Prepend(1).ToArray();
            var logits = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, prompt)])[0];
            for (var i = 0; i < 4; i++)
            {
                var next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
                logits = model.Forward([new SequenceInput(model.SlotBlocks(0), prompt.Length + i, [next])])[0];
            }

            Assert.All(logits, v => Assert.True(float.IsFinite(v)));
            var peak = ProcessMemory.Peak - baseline;
            var kv = model.Cache.Bytes;
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"file {fileBytes >> 20} MiB, KV cache {kv >> 20} MiB, peak RSS growth {peak >> 20} MiB");
            Assert.True(
                peak <= fileBytes + kv + Slack,
                $"peak RSS grew by {peak >> 20} MiB; file {fileBytes >> 20} MiB + KV {kv >> 20} MiB + {Slack >> 20} MiB allowed");

            foreach (var matrix in new[] { model.Layers[0].Attention.Wq, model.Layers[11].FeedForward.W2, model.Embeddings, model.Output })
            {
                Assert.Equal(Path.GetFullPath(path), MappingOf((nint)TensorReader.DataPointer(matrix)));
            }
        }
    }

    /// <summary>The file a mapping of this process that holds <paramref name="address"/> maps, or "" for anonymous memory.</summary>
    private static string MappingOf(nint address)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            var range = fields[0].Split('-');
            var (start, end) = (ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            if ((ulong)address >= start && (ulong)address < end)
            {
                return fields.Length == 6 ? fields[5].Trim() : string.Empty;
            }
        }

        return string.Empty;
    }
}
