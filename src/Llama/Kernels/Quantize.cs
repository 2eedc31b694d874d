using System.Buffers.Binary;

namespace Llama.Kernels;

/// <summary>
/// Float32 rows to llama.cpp's 32-element block formats, with its reference rounding: what quantize-at-load stores
/// for checkpoints that hold floats.
/// </summary>
public static class Quantize
{
    /// <summary>Writes <paramref name="row"/> as <paramref name="type"/> (Q8_0 or Q4_0) blocks into <paramref name="output"/>.</summary>
    public static void Row(WeightType type, ReadOnlySpan<float> row, Span<byte> output)
    {
        if (type is not (WeightType.Q8_0 or WeightType.Q4_0))
        {
            throw new ArgumentException($"Quantizing at load supports q8_0 and q4_0, not {type}.");
        }

        if (row.Length % 32 != 0)
        {
            throw new ArgumentException($"A row of {row.Length} elements is not a whole number of {type} blocks of 32.");
        }

        var blockBytes = type.BlockBytes();
        for (var b = 0; b < row.Length / 32; b++)
        {
            var x = row.Slice(b * 32, 32);
            var block = output.Slice(b * blockBytes, blockBytes);
            if (type == WeightType.Q8_0)
            {
                Q8_0(x, block);
            }
            else
            {
                Q4_0(x, block);
            }
        }
    }

    private static void Q8_0(ReadOnlySpan<float> x, Span<byte> block)
    {
        var amax = 0f;
        foreach (var v in x)
        {
            amax = MathF.Max(amax, MathF.Abs(v));
        }

        var d = amax / 127;
        var id = d != 0 ? 1 / d : 0;
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
        for (var i = 0; i < 32; i++)
        {
            block[2 + i] = (byte)(sbyte)MathF.Round(x[i] * id, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>The value of largest magnitude maps to -8, so its sign picks which end of [-8, 7] is exact.</summary>
    private static void Q4_0(ReadOnlySpan<float> x, Span<byte> block)
    {
        float amax = 0, max = 0;
        foreach (var v in x)
        {
            if (MathF.Abs(v) > amax)
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        var d = max / -8;
        var id = d != 0 ? 1 / d : 0;
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
        for (var i = 0; i < 16; i++)
        {
            var low = Math.Min(15, (int)((x[i] * id) + 8.5f));
            var high = Math.Min(15, (int)((x[i + 16] * id) + 8.5f));
            block[2 + i] = (byte)(low | (high << 4));
        }
    }
}
