using Llama.Checkpoints;
using Llama.Kernels;
using Llama.Model;
using Llama.Tests.Model;

namespace Llama.Tests.Checkpoints.Gguf;

/// <summary>Float checkpoints quantized while loading run on the block kernels and stay close to the float32 reference.</summary>
public sealed class QuantizeAtLoadTests
{
    [Theory]
    [InlineData(WeightType.Q8_0, 3e-1f, 0.9)]
    [InlineData(WeightType.Q4_0, 8f, 0.5)]
    public void Llama2c_model_quantized_at_load_gives_the_reference_logits_within_its_precision(WeightType type, float tolerance, double agreement)
    {
        var reference = ReferenceLogits.Load();
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        using var model = Transformer.Load(checkpoint, checkpoint.Args, 64, 1, new EngineOptions { Quantization = type });

        Assert.Equal(type, model.BlockTypeOf(model.Layers[0].Attention.Wq));
        // Matrices are repacked in panels where the CPU has the kernels; the embedding table, read by rows, never is.
        Assert.Equal(PanelMatrix.Supports(type, checkpoint.Args.Dim), model.InPanels(model.Layers[0].Attention.Wq));
        Assert.False(model.InPanels(model.Embeddings));
        // stories260K's FFN hidden size, 172, is no whole number of blocks: w2 stays float32, as llama.cpp leaves such rows.
        Assert.Equal(WeightType.F32, model.BlockTypeOf(model.Layers[0].FeedForward.W2));
        var logits = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, reference.PromptIds)], allPositions: true)[0];
        var vocab = checkpoint.Args.VocabSize;
        var agree = 0;
        for (var p = 0; p < reference.PromptIds.Length; p++)
        {
            var row = logits.AsSpan(p * vocab, vocab);
            var difference = ReferenceLogits.MaxAbsDifference(reference.Logits[p], row);
            Assert.True(difference < tolerance, $"position {p}: {difference}");
            agree += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row) == System.Numerics.Tensors.TensorPrimitives.IndexOfMax(reference.Logits[p]) ? 1 : 0;
        }

        // Four bits per weight are crude for a 64-wide model: its greedy choice agrees less often.
        Assert.True(agree >= reference.PromptIds.Length * agreement, $"{type}: greedy choice agrees at {agree} of {reference.PromptIds.Length} positions");
    }

    [Fact]
    public void Quantization_off_the_cpu_kernels_is_refused()
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        var error = Assert.Throws<ArgumentException>(() =>
            Transformer.Load(checkpoint, checkpoint.Args, 64, 1, new EngineOptions { Quantization = WeightType.Q8_0, CpuKernels = false }));
        Assert.Contains("runs on the engine's CPU kernels only", error.Message);
    }

    [Theory]
    [InlineData("q8_0", WeightType.Q8_0)]
    [InlineData("Q4_0", WeightType.Q4_0)]
    [InlineData("none", null)]
    [InlineData("", null)]
    public void Quantization_settings_parse(string text, WeightType? expected) => Assert.Equal(expected, EngineOptions.ParseQuantization(text));

    [Theory]
    [InlineData("q4_k")]
    [InlineData("int8")]
    public void Unknown_quantization_settings_are_refused(string text) =>
        Assert.Contains("expected q8_0, q4_0 or none", Assert.Throws<ArgumentException>(() => EngineOptions.ParseQuantization(text)).Message);
}
