using Llama.Kernels;
using static TorchSharp.torch;

namespace Llama.Tests.Kernels;

/// <summary>Matrices repacked in eight-row panels against the scalar expansion: dequantize the source rows and the 8-bit inputs, multiply in double.</summary>
public sealed unsafe class PanelMatrixTests
{
    [Fact]
    public void Q8_0_panels_match_the_scalar_expansion_at_every_input_count()
    {
        Assert.SkipUnless(PanelMatrix.Supports(WeightType.Q8_0, 8), "no AVX-VNNI here: matrices keep their rows");
        const int rows = 32, cols = 96, most = 9, from = 1, to = 3;
        var random = new Random(23);
        var rowBytes = (int)WeightType.Q8_0.RowBytes(cols);
        var source = new byte[rows * rowBytes];
        random.NextBytes(source);
        // Scales of every kind a file may hold: ordinary, negative, float16 subnormal, zero; values include -128.
        Half[] scales = [(Half)0.0123f, (Half)(-0.0071f), BitConverter.UInt16BitsToHalf(0x0003), Half.Zero, (Half)1.5f];
        for (var block = 0; block < source.Length / 34; block++)
        {
            BitConverter.TryWriteBytes(source.AsSpan(block * 34), scales[block % scales.Length]);
        }

        source[2] = 0x80;
        var expanded = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            Dequantize.Row(WeightType.Q8_0, source.AsSpan(r * rowBytes, rowBytes), expanded.AsSpan(r * cols, cols));
        }

        using var matrix = tensor(source, [rows, rowBytes]);
        using var packed = PanelMatrix.Pack(matrix, WeightType.Q8_0);
        Assert.Equal(matrix.shape, packed.shape);
        var x = Enumerable.Range(0, most * cols).Select(_ => (random.NextSingle() * 4) - 2).ToArray();
        for (var n = 1; n <= most; n++)
        {
            var q8 = Q8Rows.Of(x.AsSpan(0, n * cols), n, cols);
            var output = Enumerable.Repeat(float.NaN, n * rows).ToArray();
            fixed (float* result = output)
            {
                PanelMatrix.Run(WeightType.Q8_0, CpuWeight.Address(packed, ScalarType.Byte), q8, result, rows, from, to);
            }

            for (var b = 0; b < n; b++)
            {
                for (var r = 0; r < rows; r++)
                {
                    var actual = output[(b * rows) + r];
                    if (r < from * PanelMatrix.Rows || r >= to * PanelMatrix.Rows)
                    {
                        Assert.True(float.IsNaN(actual), $"n={n} input {b}: row {r} outside the panels was written");
                        continue;
                    }

                    double expected = 0, magnitude = 0;
                    for (var i = 0; i < cols; i++)
                    {
                        var product = expanded[(r * cols) + i] * q8.Values[(b * cols) + i] * (double)q8.Scales[((b * cols) + i) / 32];
                        expected += product;
                        magnitude += Math.Abs(product);
                    }

                    Assert.True(Math.Abs(expected - actual) <= 1e-5 * magnitude, $"n={n} row {r} input {b}: {actual} vs {expected}");
                }
            }
        }
    }

    [Fact]
    public void Halves_widens_every_float16_exactly()
    {
        Assert.SkipUnless(System.Runtime.Intrinsics.X86.Avx2.IsSupported, "no AVX2 here");
        var bits = Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();
        fixed (ushort* halves = bits)
        {
            for (var i = 0; i < bits.Length; i += 8)
            {
                var wide = PanelMatrix.Halves((byte*)(halves + i));
                for (var lane = 0; lane < 8; lane++)
                {
                    var expected = (float)BitConverter.UInt16BitsToHalf(bits[i + lane]);
                    Assert.True(
                        float.IsNaN(expected) ? float.IsNaN(wide[lane]) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(wide[lane]),
                        $"0x{bits[i + lane]:X4}: {wide[lane]} vs {expected}");
                }
            }
        }
    }

    [Fact]
    public void Only_matrices_of_whole_panels_in_a_type_with_kernels_are_packed()
    {
        Assert.SkipUnless(PanelMatrix.Supports(WeightType.Q8_0, 8), "no AVX-VNNI here: matrices keep their rows");
        Assert.False(PanelMatrix.Supports(WeightType.Q8_0, 12));
        Assert.False(PanelMatrix.Supports(WeightType.F16, 16));
        Assert.False(PanelMatrix.Supports(WeightType.Q4_0, 16));
    }
}
