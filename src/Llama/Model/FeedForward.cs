using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Llama.Model;

/// <summary>Meta's SwiGLU feed-forward: w2(silu(w1 x) · w3 x).</summary>
public sealed class FeedForward(Tensor w1, Tensor w2, Tensor w3) : IDisposable
{
    public Tensor W1 { get; } = w1;

    public Tensor W2 { get; } = w2;

    public Tensor W3 { get; } = w3;

    public Tensor Forward(Tensor x)
    {
        using var gate = F.linear(x, W1);
        using var activated = F.silu(gate);
        using var up = F.linear(x, W3);
        using var product = activated * up;
        return F.linear(product, W2);
    }

    public void Dispose()
    {
        W1.Dispose();
        W2.Dispose();
        W3.Dispose();
    }
}
