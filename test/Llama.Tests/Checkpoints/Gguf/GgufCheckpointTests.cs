using Llama.Checkpoints;
using Llama.Generation;
using Llama.Kernels;
using Llama.Model;
using Llama.Tests.Generation;
using Llama.Tests.Model;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Tests.Checkpoints.Gguf;

/// <summary>stories260K written as GGUF (as llama.cpp's converter writes it) reads back as the llama2.c original.</summary>
public sealed class GgufCheckpointTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Stories(WeightType type)
    {
        var path = _folder.File($"stories260K-{type}.gguf");
        if (!File.Exists(path))
        {
            GgufModels.WriteStories260K(path, type);
        }

        return path;
    }

    [Fact]
    public void Metadata_gives_the_llama2c_architecture_and_the_vocabulary()
    {
        using var original = Llama2cCheckpoint.Open(TestData.Model);
        using var gguf = GgufCheckpoint.Open(Stories(WeightType.F32));

        Assert.Equal(CheckpointFormat.Gguf, gguf.Format);
        Assert.Equal(3u, gguf.Version);
        Assert.Equal(original.Args.Dim, gguf.Args.Dim);
        Assert.Equal(original.Args.NLayers, gguf.Args.NLayers);
        Assert.Equal(original.Args.NHeads, gguf.Args.NHeads);
        Assert.Equal(original.Args.KvHeads, gguf.Args.KvHeads);
        Assert.Equal(original.Args.HiddenDim, gguf.Args.HiddenDim);
        Assert.Equal(original.Args.VocabSize, gguf.Args.VocabSize);
        Assert.Equal(512, gguf.Args.TrainedSeqLen);
        Assert.Equal(1e-5, gguf.Args.NormEps, 1e-9);
        Assert.True(gguf.TiedEmbeddings);
        Assert.Equal(512, gguf.Tokenizer.VocabSize);
        Assert.Equal((1, 2), (gguf.Tokenizer.BosId, gguf.Tokenizer.EosId));
        foreach (var name in original.TensorNames)
        {
            Assert.Equal(original.Shape(name), gguf.Shape(name));
        }
    }

    [Fact]
    public void The_vocabulary_encodes_and_decodes_every_reference_prompt_as_the_llama2c_tokenizer()
    {
        using var gguf = GgufCheckpoint.Open(Stories(WeightType.F32));
        var llama2c = Llama.Tokenization.Llama2cTokenizer.Load(TestData.Tok512);
        foreach (var c in GreedyReference.Load().Cases)
        {
            Assert.Equal(c.PromptIds, gguf.Tokenizer.Encode(c.Prompt, bos: true, eos: false));
            Assert.Equal(llama2c.Decode(c.GeneratedIds), gguf.Tokenizer.Decode(c.GeneratedIds));
        }
    }

    [Fact]
    public void Float32_gguf_reproduces_the_greedy_reference_exactly()
    {
        var reference = GreedyReference.Load();
        using var checkpoint = CheckpointLoader.Open(Stories(WeightType.F32));
        using var model = Transformer.Load(checkpoint, checkpoint.Args, reference.MaxSeqLen, 1, new EngineOptions());
        var generator = new TokenGenerator(model, reference.StopTokens.ToHashSet());
        foreach (var c in reference.Cases)
        {
            var result = generator.Generate([c.PromptIds], new GenerationOptions { Temperature = 0, MaxGenLen = c.MaxNewTokens })[0];
            Assert.Equal(c.GeneratedIds, result.Tokens);
        }
    }

    [Theory]
    [InlineData(WeightType.F16, 2e-2f)]
    [InlineData(WeightType.BF16, 1e-1f)]
    [InlineData(WeightType.Q8_0, 3e-1f)]
    public void Block_stored_weights_give_the_reference_logits_within_their_precision(WeightType type, float tolerance)
    {
        var reference = ReferenceLogits.Load();
        using var checkpoint = CheckpointLoader.Open(Stories(type));
        Assert.Equal(type, ((GgufCheckpoint)checkpoint).BlockType(TensorNames.Wq(0)));
        using var model = Transformer.Load(checkpoint, checkpoint.Args, 64, 1, new EngineOptions());
        var logits = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, reference.PromptIds)], allPositions: true)[0];
        var vocab = checkpoint.Args.VocabSize;
        for (var p = 0; p < reference.PromptIds.Length; p++)
        {
            var difference = ReferenceLogits.MaxAbsDifference(reference.Logits[p], logits.AsSpan(p * vocab, vocab));
            Assert.True(difference < tolerance, $"position {p}: {difference}");
        }
    }

    [Fact]
    public void Kernels_on_the_blocks_agree_with_libtorch_on_the_expanded_floats()
    {
        var reference = ReferenceLogits.Load();
        using var checkpoint = CheckpointLoader.Open(Stories(WeightType.Q8_0));
        float[] Logits(EngineOptions options)
        {
            using var model = Transformer.Load(checkpoint, checkpoint.Args, 64, 1, options);
            return model.Forward([new SequenceInput(model.SlotBlocks(0), 0, reference.PromptIds)], allPositions: true)[0];
        }

        var expanded = Logits(new EngineOptions { CpuKernels = false });
        var blocks = Logits(new EngineOptions());
        var vocab = checkpoint.Args.VocabSize;
        for (var p = 0; p < reference.PromptIds.Length; p++)
        {
            // Only the inputs' 8-bit quantization separates the two.
            var difference = ReferenceLogits.MaxAbsDifference(expanded.AsSpan(p * vocab, vocab), blocks.AsSpan(p * vocab, vocab));
            Assert.True(difference < 3e-1f, $"position {p}: {difference}");
        }
    }

    [Fact]
    public void Loader_recognises_gguf_by_extension_by_magic_and_as_the_one_model_in_a_folder()
    {
        var path = Stories(WeightType.F32);
        Assert.Equal(CheckpointFormat.Gguf, CheckpointLoader.Locate(path).Format);
        var renamed = _folder.File("model.weights");
        File.Copy(path, renamed);
        Assert.Equal(CheckpointFormat.Gguf, CheckpointLoader.Locate(renamed).Format);
        File.Delete(renamed);
        Assert.Equal(Path.GetFullPath(path), CheckpointLoader.Locate(_folder.Path).Path);
        Stories(WeightType.F16);
        var several = Assert.Throws<CheckpointException>(() => CheckpointLoader.Locate(_folder.Path));
        Assert.Contains("several GGUF models", several.Message);
    }

    [Fact]
    public void Inspect_reports_the_gguf_file()
    {
        var path = Stories(WeightType.Q8_0);
        var report = CheckpointInspector.Inspect(path);

        Assert.Equal(CheckpointFormat.Gguf, report.Format);
        Assert.Empty(report.Problems);
        Assert.Equal("F32, Q8_0", report.WeightTypes);
        var text = report.ToText();
        Assert.Contains("GGUF version 3", text);
        Assert.Contains("F32, Q8_0", text);
        Assert.Contains("its own vocabulary, 512 tokens", text);
    }
}
