using System.Globalization;
using Llama.Checkpoints;
using Llama.Checkpoints.Storage;
using Llama.Generation;
using Llama.Model;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Tests.Checkpoints.Gguf;

/// <summary>
/// A quantized model costs its file, the KV positions it has written and a constant: matrices are repacked in panels
/// (their file pages handed back) or used where the file's pages are.
/// </summary>
[Collection(nameof(MemoryMeasurement))]
public sealed unsafe class GgufMemoryTests
{
    private const long Slack = 64L << 20;

    [Fact]
    public void A_q4k_110M_shape_model_takes_its_file_and_a_constant_with_its_matrices_in_panels_or_in_the_file_pages()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self");
        using var folder = new TempFolder();
        var path = folder.File("random110M-Q4_K.gguf");
        var shape = new ModelArgs { Dim = 768, NLayers = 12, NHeads = 12, ExplicitHiddenDim = 2048, VocabSize = 32000, TrainedSeqLen = 1024 };
        // A float32 classifier, as llama.cpp's quantizer leaves it in Q4_K_M files: it too must stay in the file's pages.
        GgufModels.WriteRandomQ4K(path, shape, GgufModels.SyntheticVocabulary(shape.VocabSize), seed: 1, float32Classifier: true);
        var fileBytes = new FileInfo(path).Length;

        // libtorch's start-up and the kernels' first compilation belong to the runtime, not to this model.
        WarmUp(folder.File("warm-up.gguf"));
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
            // The KV pool's budget is not resident: only the pages of the 21 positions written are.
            var peak = ProcessMemory.Peak - baseline;
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"file {fileBytes >> 20} MiB, KV budget {model.Cache.Bytes >> 20} MiB, peak RSS growth {peak >> 20} MiB");
            Assert.True(
                peak <= fileBytes + Slack,
                $"peak RSS grew by {peak >> 20} MiB; file {fileBytes >> 20} MiB + {Slack >> 20} MiB allowed");

            // Matrices in panels are the model's own memory (at most the file's pages they replace, as the peak shows);
            // the embedding table, read by rows, and the float32 classifier stay in the file's pages.
            foreach (var matrix in new[] { model.Layers[0].Attention.Wq, model.Layers[11].FeedForward.W2 })
            {
                var panels = Llama.Kernels.PanelMatrix.Supports(Llama.Kernels.WeightType.Q4_K, matrix.shape[0]);
                Assert.Equal(panels, model.InPanels(matrix));
                Assert.Equal(panels ? string.Empty : Path.GetFullPath(path), MappingOf((nint)TensorReader.DataPointer(matrix)));
            }

            foreach (var matrix in new[] { model.Embeddings, model.Output })
            {
                Assert.Equal(Path.GetFullPath(path), MappingOf((nint)TensorReader.DataPointer(matrix)));
            }
        }
    }

    [Fact]
    public void Tensors_stored_in_the_wanted_float_type_are_views_of_the_file_pages_and_others_are_converted_copies()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self");
        using var folder = new TempFolder();
        var path = folder.File("small-Q4_K-f32-classifier.gguf");
        var shape = new ModelArgs { Dim = 256, NLayers = 1, NHeads = 4, ExplicitHiddenDim = 256, VocabSize = 512, TrainedSeqLen = 64 };
        GgufModels.WriteRandomQ4K(path, shape, GgufModels.SyntheticVocabulary(shape.VocabSize), seed: 3, float32Classifier: true);
        var expected = GgufModels.RandomClassifier(shape.VocabSize, shape.Dim, seed: 3);

        Transformer model;
        using (var checkpoint = CheckpointLoader.Open(path))
        {
            // A conversion cannot be a view: it is the caller's own memory, with the converted values.
            using (var converted = checkpoint.Load(TensorNames.Output, TorchSharp.torch.ScalarType.BFloat16, TorchSharp.torch.CPU))
            using (var widened = converted.to(TorchSharp.torch.ScalarType.Float32))
            {
                Assert.Equal(string.Empty, MappingOf((nint)TensorReader.DataPointer(converted)));
                var values = widened.data<float>().ToArray();
                Assert.All(Enumerable.Range(0, values.Length), i => Assert.Equal(expected[i], values[i], Math.Abs(expected[i]) / 128));
            }

            model = Transformer.Load(checkpoint, checkpoint.Args, 64, 1, new EngineOptions { Threads = 1 });
        }

        using (model)
        {
            // The float32 classifier and norms read the file's pages after the checkpoint is gone, with the values written.
            foreach (var tensor in new[] { model.Output, model.Norm.Weight, model.Layers[0].AttentionNorm.Weight })
            {
                Assert.Equal(Path.GetFullPath(path), MappingOf((nint)TensorReader.DataPointer(tensor)));
            }

            Assert.Equal(expected, model.Output.data<float>().ToArray());
            var logits = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, [1, 300, 301])])[0];
            Assert.Equal(shape.VocabSize, logits.Length);
            Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        }
    }

    [Fact]
    public void A_gguf_model_named_as_its_own_tokenizer_is_parsed_once()
    {
        using var folder = new TempFolder();
        var path = folder.File("vocab32000.gguf");
        var shape = new ModelArgs { Dim = 256, NLayers = 1, NHeads = 4, ExplicitHiddenDim = 256, VocabSize = 32000, TrainedSeqLen = 64 };
        GgufModels.WriteRandomQ4K(path, shape, GgufModels.SyntheticVocabulary(shape.VocabSize), seed: 4);
        var options = new EngineOptions { Threads = 1 };
        LlamaGenerator.Build(path, path, 64, 1, options).Dispose();

        // Managed bytes this thread allocates: parsing the header and its 32,000-piece vocabulary is most of them.
        var parse = AllocatedBy(() => CheckpointLoader.Open(path).Dispose());
        var build = AllocatedBy(() =>
        {
            using var llama = LlamaGenerator.Build(path, path, 64, 1, options);
            Assert.Equal(shape.VocabSize, llama.Tokenizer.VocabSize);
            Assert.Equal("w7000", llama.Tokenizer.Decode([7000]));
        });

        TestContext.Current.TestOutputHelper?.WriteLine($"one parse {parse >> 10} KiB, build {build >> 10} KiB");
        Assert.True(build < parse * 3 / 2, $"building allocated {build >> 10} KiB, against {parse >> 10} KiB for one parse of the file");
    }

    private static void WarmUp(string path)
    {
        var shape = new ModelArgs { Dim = 256, NLayers = 1, NHeads = 4, ExplicitHiddenDim = 256, VocabSize = 512, TrainedSeqLen = 64 };
        GgufModels.WriteRandomQ4K(path, shape, GgufModels.SyntheticVocabulary(shape.VocabSize), seed: 2, float32Classifier: true);
        using var checkpoint = CheckpointLoader.Open(path);
        using var model = Transformer.Load(checkpoint, checkpoint.Args, 64, 1, new EngineOptions { Threads = 2 });
        model.Forward([new SequenceInput(model.SlotBlocks(0), 0, [1, 300, 301, 302])]);
        model.Forward([new SequenceInput(model.SlotBlocks(0), 4, [303])]);
    }

    private static long AllocatedBy(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>
    /// The file a mapping of this process that holds <paramref name="address"/> maps, or "" for the process's own memory:
    /// an anonymous mapping or the malloc heap ("[heap]"). glibc serves a large block from either, by a threshold that
    /// rises once the process has freed a large mapped block, so which one depends on the tests that ran before.
    /// </summary>
    private static string MappingOf(nint address)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            var range = fields[0].Split('-');
            var (start, end) = (ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            if ((ulong)address >= start && (ulong)address < end)
            {
                var name = fields.Length == 6 ? fields[5].Trim() : string.Empty;
                return name == "[heap]" || name.StartsWith("[anon:", StringComparison.Ordinal) ? string.Empty : name;
            }
        }

        return string.Empty;
    }
}
