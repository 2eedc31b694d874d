using System.Runtime.Intrinsics.X86;
using Llama.Kernels;
using LlamaOrleans.Testing.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Tests.Kernels;

/// <summary>
/// The K-quant panel kernels against a scalar reference (the rows expanded by <see cref="Dequantize"/>, the 8-bit
/// inputs expanded, multiplied in double) and against the row kernels, for every input count that mixes the
/// four-input tiles with the one-input kernel, including the formats' extreme values.
/// </summary>
public sealed unsafe class KQuantPanelsTests
{
    public static TheoryData<WeightType, int, int> Shapes => new()
    {
        { WeightType.Q4_K, 16, 256 }, { WeightType.Q4_K, 24, 512 }, { WeightType.Q4_K, 64, 768 },
        { WeightType.Q6_K, 16, 256 }, { WeightType.Q6_K, 24, 512 }, { WeightType.Q6_K, 64, 768 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Panels_match_the_scalar_expansion_and_the_row_kernels_for_one_to_nine_inputs(WeightType type, int rows, int cols)
    {
        RequireVnni(type, rows);
        var random = new Random(rows + cols);
        var weights = Weights(type, rows, cols, random);
        var rowBytes = (int)type.RowBytes(cols);
        var expanded = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            Dequantize.Row(type, weights.AsSpan(r * rowBytes, rowBytes), expanded.AsSpan(r * cols, cols));
        }

        // Inputs at full 8-bit magnitude alternating in sign, all zero, then random.
        var x = Enumerable.Range(0, 9 * cols)
            .Select(i => i < cols ? (i % 2 == 0 ? 2f : -2f) : i < 2 * cols ? 0 : (random.NextSingle() * 4) - 2).ToArray();
        using var packed = Pack(weights, type, rows, cols);
        Assert.Equal([rows, rowBytes], packed.shape);
        for (var n = 1; n <= 9; n++)
        {
            var q8 = Q8Rows.Of(x.AsSpan(0, n * cols), n, cols);
            var (output, reference) = Products(type, weights, packed, x, q8, rows, cols);

            for (var b = 0; b < n; b++)
            {
                for (var r = 0; r < rows; r++)
                {
                    double expected = 0, magnitude = 0;
                    for (var i = 0; i < cols; i++)
                    {
                        var product = expanded[(r * cols) + i] * q8.Values[(b * cols) + i] * (double)q8.Scales[((b * cols) + i) / Q8Rows.Block];
                        expected += product;
                        magnitude += Math.Abs(product);
                    }

                    var actual = output[(b * rows) + r];
                    var where = $"{type} {rows}x{cols}, {n} inputs, input {b} row {r}";
                    Assert.True(Math.Abs(expected - actual) <= (1e-5 * magnitude) + 1e-30, $"{where}: {actual} vs {expected} (scalar)");
                    Assert.True(Math.Abs(reference[(b * rows) + r] - actual) <= (1e-5 * magnitude) + 1e-30, $"{where}: {actual} vs {reference[(b * rows) + r]} (row kernel)");
                }
            }
        }
    }

    /// <summary>
    /// More inputs than one pass takes (16 at 2,048 columns): each pass derives its panels' scales and unpacked values
    /// again, in a thread's scratch that a narrower matrix before it left smaller.
    /// </summary>
    [Theory]
    [InlineData(WeightType.Q8_0)]
    [InlineData(WeightType.Q4_K)]
    [InlineData(WeightType.Q6_K)]
    public void Panels_match_the_row_kernels_across_several_passes_of_inputs(WeightType type)
    {
        RequireVnni(type, 16);
        const int rows = 16, n = 37;
        var random = new Random(41);
        foreach (var cols in new[] { 256, 2048 })
        {
            Assert.True(n > PanelMatrix.InputsPerPass(cols) || cols == 256);
            // Q8_0's panels prepare their widened scales too.
            var weights = type == WeightType.Q8_0 ? BlockDotTests.RandomRows(type, rows, cols, random) : Weights(type, rows, cols, random);
            var x = Enumerable.Range(0, n * cols).Select(_ => (random.NextSingle() * 4) - 2).ToArray();
            var q8 = Q8Rows.Of(x, n, cols);
            using var packed = Pack(weights, type, rows, cols);
            var (output, reference) = Products(type, weights, packed, x, q8, rows, cols);

            var rowBytes = (int)type.RowBytes(cols);
            var expanded = new float[cols];
            for (var r = 0; r < rows; r++)
            {
                Dequantize.Row(type, weights.AsSpan(r * rowBytes, rowBytes), expanded);
                for (var b = 0; b < n; b++)
                {
                    // Both sum in float32, in different orders: within 1e-5 of the products' magnitude.
                    double magnitude = 0;
                    for (var i = 0; i < cols; i++)
                    {
                        magnitude += Math.Abs(expanded[i] * q8.Values[(b * cols) + i] * (double)q8.Scales[((b * cols) + i) / Q8Rows.Block]);
                    }

                    var (actual, expected) = (output[(b * rows) + r], reference[(b * rows) + r]);
                    Assert.True(Math.Abs(expected - actual) <= 1e-5 * magnitude, $"{type} {rows}x{cols}, input {b} row {r}: {actual} vs {expected} (row kernel)");
                }
            }
        }
    }

    [Theory]
    [InlineData(WeightType.Q4_K)]
    [InlineData(WeightType.Q6_K)]
    public void A_range_of_panels_writes_only_its_rows(WeightType type)
    {
        const int rows = 32, cols = 512, n = 5;
        RequireVnni(type, rows);
        var random = new Random(11);
        var weights = Weights(type, rows, cols, random);
        var x = Enumerable.Range(0, n * cols).Select(_ => (random.NextSingle() * 4) - 2).ToArray();
        var q8 = Q8Rows.Of(x, n, cols);
        using var packed = Pack(weights, type, rows, cols);
        var whole = new float[n * rows];
        var part = Enumerable.Repeat(float.NaN, n * rows).ToArray();
        fixed (float* all = whole)
        fixed (float* some = part)
        {
            var panels = CpuWeight.Address(packed, ScalarType.Byte);
            PanelMatrix.Run(type, panels, q8, all, rows, 0, rows / PanelMatrix.Rows);
            PanelMatrix.Run(type, panels, q8, some, rows, 1, 3);
        }

        for (var i = 0; i < n * rows; i++)
        {
            var inside = i % rows is >= 8 and < 24;
            Assert.True(inside ? part[i] == whole[i] : float.IsNaN(part[i]), $"{type} output {i}: {part[i]} vs {whole[i]}");
        }
    }

    /// <summary>The rows as a byte tensor of their own (packing hands its source's pages back), packed.</summary>
    /// <summary>Every row against each input of <paramref name="q8"/>: by the panel kernels, and by the row kernels.</summary>
    private static (float[] Panels, float[] Rows) Products(WeightType type, byte[] weights, Tensor packed, float[] x, Q8Rows q8, int rows, int cols)
    {
        var output = new float[q8.N * rows];
        var reference = new float[q8.N * rows];
        fixed (byte* w = weights)
        fixed (float* input = x)
        fixed (float* result = output)
        fixed (float* expected = reference)
        {
            PanelMatrix.Run(type, CpuWeight.Address(packed, ScalarType.Byte), q8, result, rows, 0, rows / PanelMatrix.Rows);
            BlockDot.Rows(type, w, cols, input, q8, q8.N, expected, rows, 0, rows);
        }

        return (output, reference);
    }

    private static Tensor Pack(byte[] weights, WeightType type, int rows, int cols)
    {
        using var source = empty([rows, type.RowBytes(cols)], ScalarType.Byte);
        weights.CopyTo(new Span<byte>(CpuWeight.Address(source, ScalarType.Byte), weights.Length));
        return PanelMatrix.Pack(source, type);
    }

    /// <summary>
    /// A CPU without AVX-VNNI and FMA keeps matrices in their rows (the row kernels' tests cover it), so the panels are
    /// skipped there, by name; on one with them, the panels must be in use.
    /// </summary>
    private static void RequireVnni(WeightType type, int rows)
    {
        Assert.SkipUnless(AvxVnni.IsSupported && Fma.IsSupported, "no AVX-VNNI and FMA here: matrices keep their rows");
        Assert.True(PanelMatrix.Supports(type, rows), $"{type} panels are not used on a CPU with AVX-VNNI and FMA");
    }

    /// <summary>
    /// Random rows, the first eight overwritten with the format's extremes: every stored value zero and every one at
    /// its largest, with the largest and most negative scales and with negative, subnormal and zero float16 factors.
    /// </summary>
    private static byte[] Weights(WeightType type, int rows, int cols, Random random)
    {
        var rowBytes = (int)type.RowBytes(cols);
        byte[] weights;
        if (type == WeightType.Q4_K)
        {
            weights = GgufModels.RandomQ4K(rows, cols, random);
            for (var block = 0; block < cols / 256; block++)
            {
                Span<byte> Block(int row) => weights.AsSpan((row * rowBytes) + (block * 144), 144);
                void Factors(int row, float d, float dmin)
                {
                    BitConverter.TryWriteBytes(Block(row), (Half)d);
                    BitConverter.TryWriteBytes(Block(row)[2..], (Half)dmin);
                }

                // Zero nibbles under a negative d; every nibble, scale and min at 63 or 15 under a subnormal d and
                // then under a negative dmin; a zero d with a subnormal dmin; a scale of 63 and min of 0 everywhere.
                Block(0)[16..].Clear();
                Factors(0, -0.01f, 0.02f);
                Block(1)[4..].Fill(0xFF);
                Factors(1, 3e-6f, 0.02f);
                Block(2)[4..].Fill(0xFF);
                Factors(2, 0.01f, -0.02f);
                Factors(3, 0, -5e-7f);
                Block(4)[4..8].Fill(0xFF);
                Block(4)[8..12].Clear();
                Block(4)[12..16].Fill(0x0F);
            }
        }
        else
        {
            // Any bytes are valid values and int8 scales; only the float16 d is chosen to be sane.
            weights = new byte[rows * rowBytes];
            random.NextBytes(weights);
            for (var block = 0; block < weights.Length / 210; block++)
            {
                BitConverter.TryWriteBytes(weights.AsSpan((block * 210) + 208), (Half)((random.NextSingle() * 0.02f) + 0.001f));
            }

            for (var block = 0; block < cols / 256; block++)
            {
                Span<byte> Block(int row) => weights.AsSpan((row * rowBytes) + (block * 210), 210);

                // Every value 63 under scales of 127 and a subnormal d; every value 0 (so -32) under -128 and a
                // negative d; random values under alternating 127 and -128; a zero d.
                Block(0)[..192].Fill(0xFF);
                Block(0)[192..208].Fill(127);
                BitConverter.TryWriteBytes(Block(0)[208..], (Half)3e-6f);
                Block(1)[..192].Clear();
                Block(1)[192..208].Fill(0x80);
                BitConverter.TryWriteBytes(Block(1)[208..], (Half)(-0.01f));
                for (var g = 0; g < 16; g++)
                {
                    Block(2)[192 + g] = g % 2 == 0 ? (byte)127 : (byte)0x80;
                }

                BitConverter.TryWriteBytes(Block(3)[208..], Half.Zero);
            }
        }

        return weights;
    }
}
