using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>
/// Rotary position embeddings as Meta applies them: consecutive (interleaved) pairs of each head's
/// features are rotated by pos · theta^(-2i/headDim), computed in float32.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    public RotaryEmbedding(int headDim, int maxPositions, double theta, Device device)
    {
        HeadDim = headDim;
        MaxPositions = maxPositions;
        var half = headDim / 2;
        Cos = new float[maxPositions * half];
        Sin = new float[maxPositions * half];
        for (var i = 0; i < half; i++)
        {
            // Meta: 1 / theta ** (arange(0, dim, 2).float() / dim), then outer(t, freqs), all float32.
            var frequency = (float)(1.0 / Math.Pow(theta, (float)(2 * i) / headDim));
            for (var pos = 0; pos < maxPositions; pos++)
            {
                var angle = (float)pos * frequency;
                Cos[(pos * half) + i] = MathF.Cos(angle);
                Sin[(pos * half) + i] = MathF.Sin(angle);
            }
        }

        CosTable = tensor(Cos, [maxPositions, half]).to(device);
        SinTable = tensor(Sin, [maxPositions, half]).to(device);
    }

    public int HeadDim { get; }

    public int MaxPositions { get; }

    /// <summary>cos table, [position, headDim/2] row-major.</summary>
    public float[] Cos { get; }

    /// <summary>sin table, [position, headDim/2] row-major.</summary>
    public float[] Sin { get; }

    private Tensor CosTable { get; }

    private Tensor SinTable { get; }

    /// <summary>Rotates x [batch, time, heads, headDim] at positions [batch, time] (int64).</summary>
    public Tensor Apply(Tensor x, Tensor positions)
    {
        using var scope = NewDisposeScope();
        var shape = x.shape;
        var pairs = x.to_type(ScalarType.Float32).view(shape[0], shape[1], shape[2], HeadDim / 2, 2);
        var x0 = pairs.select(-1, 0);
        var x1 = pairs.select(-1, 1);
        var flat = positions.reshape(-1);
        var cos = CosTable.index_select(0, flat).view(shape[0], shape[1], 1, HeadDim / 2);
        var sin = SinTable.index_select(0, flat).view(shape[0], shape[1], 1, HeadDim / 2);
        var rotated = stack([(x0 * cos) - (x1 * sin), (x0 * sin) + (x1 * cos)], -1).view(shape);
        return rotated.to_type(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Turns vectors x [rows, heads, headDim] already rotated for position p into those for p + <paramref name="delta"/>:
    /// rotation angles add, so applying the rotation of |delta| (inverted when delta is negative) is enough.
    /// </summary>
    public Tensor Shift(Tensor x, int delta)
    {
        using var scope = NewDisposeScope();
        var distance = Math.Abs(delta);
        if (distance >= MaxPositions)
        {
            throw new ArgumentOutOfRangeException(nameof(delta), $"A shift of {delta} positions is beyond the {MaxPositions} the rotary tables hold.");
        }

        var shape = x.shape;
        var pairs = x.to_type(ScalarType.Float32).view(shape[0], shape[1], HeadDim / 2, 2);
        var x0 = pairs.select(-1, 0);
        var x1 = pairs.select(-1, 1);
        var cos = CosTable[distance].view(1, 1, HeadDim / 2);
        // sin(-a) = -sin(a): a negative shift rotates backwards.
        var sin = (delta < 0 ? -SinTable[distance] : SinTable[distance]).view(1, 1, HeadDim / 2);
        var rotated = stack([(x0 * cos) - (x1 * sin), (x0 * sin) + (x1 * cos)], -1).view(shape);
        return rotated.to_type(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Rotates <paramref name="heads"/> consecutive head vectors in place at <paramref name="pos"/>.</summary>
    public void Apply(Span<float> vectors, int heads, int pos)
    {
        var half = HeadDim / 2;
        var cos = Cos.AsSpan(pos * half, half);
        var sin = Sin.AsSpan(pos * half, half);
        for (var h = 0; h < heads; h++)
        {
            var v = vectors.Slice(h * HeadDim, HeadDim);
            for (var i = 0; i < half; i++)
            {
                var a = v[2 * i];
                var b = v[(2 * i) + 1];
                v[2 * i] = (a * cos[i]) - (b * sin[i]);
                v[(2 * i) + 1] = (a * sin[i]) + (b * cos[i]);
            }
        }
    }

    public void Dispose()
    {
        CosTable.Dispose();
        SinTable.Dispose();
    }
}
