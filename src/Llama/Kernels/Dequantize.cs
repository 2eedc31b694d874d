using System.Buffers.Binary;
using System.Numerics.Tensors;

namespace Llama.Kernels;

/// <summary>
/// Scalar expansion of stored rows to float32: what each block format means, element by element. The kernels never
/// use it for matrix products (they work on the blocks); it serves embedding lookups, loads into libtorch and tests.
/// </summary>
public static class Dequantize
{
    /// <summary>Expands <paramref name="output"/>.Length elements stored as <paramref name="type"/> in <paramref name="row"/>.</summary>
    public static void Row(WeightType type, ReadOnlySpan<byte> row, Span<float> output)
    {
        var blockElements = type.BlockElements();
        var blockBytes = type.BlockBytes();
        if (output.Length % blockElements != 0 || row.Length < output.Length / blockElements * blockBytes)
        {
            throw new ArgumentException($"{output.Length} elements are not whole {type} blocks of the {row.Length} bytes given.");
        }

        switch (type)
        {
            case WeightType.F32:
                for (var i = 0; i < output.Length; i++)
                {
                    output[i] = BinaryPrimitives.ReadSingleLittleEndian(row[(4 * i)..]);
                }

                return;
            case WeightType.F16:
                TensorPrimitives.ConvertToSingle(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(row[..(2 * output.Length)]), output);
                return;
            case WeightType.BF16:
                for (var i = 0; i < output.Length; i++)
                {
                    output[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(row[(2 * i)..]) << 16);
                }

                return;
        }

        for (var b = 0; b < output.Length / blockElements; b++)
        {
            var block = row.Slice(b * blockBytes, blockBytes);
            var y = output.Slice(b * blockElements, blockElements);
            switch (type)
            {
                case WeightType.Q8_0:
                    Q8_0(block, y);
                    break;
                case WeightType.Q4_0:
                    Q4_0(block, y);
                    break;
                case WeightType.Q4_K:
                    Q4_K(block, y);
                    break;
                case WeightType.Q6_K:
                    Q6_K(block, y);
                    break;
            }
        }
    }

    internal static float Half(ReadOnlySpan<byte> bytes) => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes);

    private static void Q8_0(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block);
        for (var i = 0; i < 32; i++)
        {
            y[i] = d * (sbyte)block[2 + i];
        }
    }

    private static void Q4_0(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block);
        for (var i = 0; i < 16; i++)
        {
            y[i] = d * ((block[2 + i] & 0xF) - 8);
            y[i + 16] = d * ((block[2 + i] >> 4) - 8);
        }
    }

    /// <summary>Sub-block <paramref name="j"/>'s six-bit scale and min, packed into 12 bytes.</summary>
    internal static (int Scale, int Min) Q4KScaleMin(ReadOnlySpan<byte> scales, int j) => j < 4
        ? (scales[j] & 63, scales[j + 4] & 63)
        : ((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4), (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));

    private static void Q4_K(ReadOnlySpan<byte> block, Span<float> y)
    {
        float d = Half(block), dmin = Half(block[2..]);
        var scales = block.Slice(4, 12);
        var qs = block.Slice(16, 128);
        // Each 32 bytes of nibbles hold two sub-blocks: the low nibbles one, the high nibbles the next.
        for (var j = 0; j < 8; j += 2)
        {
            var (s0, m0) = Q4KScaleMin(scales, j);
            var (s1, m1) = Q4KScaleMin(scales, j + 1);
            var q = qs.Slice(j * 16, 32);
            for (var l = 0; l < 32; l++)
            {
                y[(j * 32) + l] = (d * s0 * (q[l] & 0xF)) - (dmin * m0);
                y[(j * 32) + 32 + l] = (d * s1 * (q[l] >> 4)) - (dmin * m1);
            }
        }
    }

    private static void Q6_K(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block[208..]);
        for (var half = 0; half < 2; half++)
        {
            var ql = block.Slice(half * 64, 64);
            var qh = block.Slice(128 + (half * 32), 32);
            var sc = block.Slice(192 + (half * 8), 8);
            var o = y.Slice(half * 128, 128);
            for (var l = 0; l < 32; l++)
            {
                var s = l / 16;
                o[l] = d * (sbyte)sc[s] * (((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32);
                o[l + 32] = d * (sbyte)sc[s + 2] * (((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                o[l + 64] = d * (sbyte)sc[s + 4] * (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                o[l + 96] = d * (sbyte)sc[s + 6] * (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
            }
        }
    }
}
