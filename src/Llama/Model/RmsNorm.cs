using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>Meta's RMSNorm: x / sqrt(mean(x²) + eps) in float32, cast back, times the weight.</summary>
public sealed class RmsNorm(Tensor weight, double eps) : IDisposable
{
    public Tensor Weight { get; } = weight;

    public double Eps { get; } = eps;

    public Tensor Forward(Tensor x)
    {
        using var xf = x.to_type(ScalarType.Float32);
        using var meanSquare = xf.pow(2).mean([-1], keepdim: true);
        using var inverse = (meanSquare + Eps).rsqrt_();
        using var normed = xf * inverse;
        using var cast = normed.to_type(x.dtype);
        return cast * Weight;
    }

    public void Dispose() => Weight.Dispose();
}
