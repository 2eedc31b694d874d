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
