using Llama.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>Meta's TransformerBlock: pre-norm attention and feed-forward, each with a residual.</summary>
public sealed class TransformerBlock(Attention attention, FeedForward feedForward, RmsNorm attentionNorm, RmsNorm ffnNorm)
    : IDisposable
{
    public Attention Attention { get; } = attention;

    public FeedForward FeedForward { get; } = feedForward;

    public RmsNorm AttentionNorm { get; } = attentionNorm;

    public RmsNorm FfnNorm { get; } = ffnNorm;

    /// <summary>
    /// Layer <paramref name="layer"/> of a model of shape <paramref name="args"/>, each weight from <paramref name="weight"/>
    /// by its Meta name, in the order Meta's module lists them.
    /// </summary>
    internal static TransformerBlock Create(ModelArgs args, int layer, Func<string, Tensor> weight) => new(
        new Attention(args, weight(TensorNames.Wq(layer)), weight(TensorNames.Wk(layer)), weight(TensorNames.Wv(layer)), weight(TensorNames.Wo(layer))),
        new FeedForward(weight(TensorNames.W1(layer)), weight(TensorNames.W2(layer)), weight(TensorNames.W3(layer))),
        new RmsNorm(weight(TensorNames.AttentionNorm(layer)), args.NormEps),
        new RmsNorm(weight(TensorNames.FfnNorm(layer)), args.NormEps));

    internal Tensor Forward(Tensor x, BatchLayout layout, RotaryEmbedding rope, Tensor cacheK, Tensor cacheV)
    {
        using var scope = NewDisposeScope();
        var h = x + Attention.Forward(AttentionNorm.Forward(x), layout, rope, cacheK, cacheV);
        var output = h + FeedForward.Forward(FfnNorm.Forward(h));
        return output.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Attention.Dispose();
        FeedForward.Dispose();
        AttentionNorm.Dispose();
        FfnNorm.Dispose();
    }
}
