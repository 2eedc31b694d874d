using Llama.Model;

namespace Llama.Tests.Model;

/// <summary>The random-weights model a GPU bench builds on its device: shape, determinism by seed, a working forward.</summary>
public class RandomTransformerTests
{
    private static readonly ModelArgs Shape = new() { Dim = 64, NLayers = 2, NHeads = 8, NKvHeads = 4, VocabSize = 100, ExplicitHiddenDim = 172 };

    private static Transformer Create(ulong seed) =>
        Transformer.Random(Shape, 64, 2, new EngineOptions { CpuKernels = false, KvCacheSequences = 2 }, seed);

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_another_seed_others()
    {
        using var a = Create(5);
        using var b = Create(5);
        using var c = Create(6);

        Assert.Equal([172L, 64L], a.Layers[1].FeedForward.W1.shape);
        Assert.Equal([32L, 64L], a.Layers[0].Attention.Wk.shape);
        Assert.Equal([100L, 64L], a.Output.shape);
        Assert.True(a.Layers[1].FeedForward.W2.eq(b.Layers[1].FeedForward.W2).all().item<bool>());
        Assert.False(a.Layers[1].FeedForward.W2.eq(c.Layers[1].FeedForward.W2).all().item<bool>());
        var std = a.Layers[0].Attention.Wq.std().item<float>();
        Assert.InRange(std, Transformer.RandomWeightStd * 0.9f, Transformer.RandomWeightStd * 1.1f);
    }

    [Fact]
    public void A_random_model_runs_and_gives_finite_logits()
    {
        using var model = Create(1);

        var logits = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, [1, 2, 3])])[0];

        Assert.Equal(100, logits.Length);
        Assert.All(logits, l => Assert.True(float.IsFinite(l)));
    }

    [Fact]
    public void Bad_shapes_are_rejected_before_anything_is_allocated()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Transformer.Random(Shape with { NHeads = 7 }, 64, 2, new EngineOptions(), 1));
        Assert.Equal("Invalid model parameters: dim 64 is not divisible by n_heads 7.", error.Message);
    }
}
