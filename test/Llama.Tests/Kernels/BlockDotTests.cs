using Llama.Kernels;

namespace Llama.Tests.Kernels;

/// <summary>The block kernels against a scalar reference: expand both weights and 8-bit inputs, multiply in double.</summary>
public sealed unsafe class BlockDotTests
{
    public static TheoryData<WeightType> Types => [WeightType.Q8_0, WeightType.Q4_0, WeightType.Q4_K, WeightType.Q6_K, WeightType.F16, WeightType.BF16];

    /// <summary>Random blocks: any bytes are valid quantized values, so only the float16 scales are chosen to be sane.</summary>
    internal static byte[] RandomRows(WeightType type, int rows, int cols, Random random)
    {
        var bytes = new byte[rows * type.RowBytes(cols)];
        random.NextBytes(bytes);
        var blockBytes = type.BlockBytes();
        void Scale(int offset) => BitConverter.TryWriteBytes(bytes.AsSpan(offset), (Half)((random.NextSingle() * 0.02f) + 0.001f));
        for (var block = 0; block < bytes.Length / blockBytes; block++)
        {
            var start = block * blockBytes;
            switch (type)
            {
                case WeightType.Q8_0 or WeightType.Q4_0:
                    Scale(start);
                    if (type == WeightType.Q8_0)
                    {
                        // llama.cpp's Q8_0 never holds -128: |value| ≤ 127.
                        for (var i = 2; i < 34; i++)
                        {
                            bytes[start + i] = bytes[start + i] == 0x80 ? (byte)0x81 : bytes[start + i];
                        }
                    }

                    break;
                case WeightType.Q4_K:
                    Scale(start);
                    Scale(start + 2);
                    break;
                case WeightType.Q6_K:
                    Scale(start + 208);
                    break;
                case WeightType.F16:
                    Scale(start);
                    break;
                case WeightType.BF16:
                    BitConverter.TryWriteBytes(bytes.AsSpan(start), (ushort)(BitConverter.SingleToUInt32Bits((random.NextSingle() * 2) - 1) >> 16));
                    break;
            }
        }

        return bytes;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Rows_match_the_scalar_expansion_for_one_and_several_inputs(WeightType type)
    {
        const int rows = 7, cols = 512, n = 5;
        var random = new Random(3);
        var weights = RandomRows(type, rows, cols, random);
        var x = Enumerable.Range(0, n * cols).Select(_ => (random.NextSingle() * 4) - 2).ToArray();
        var q8 = Q8Rows.Of(x, n, cols);
        var output = new float[n * rows];
        fixed (byte* w = weights)
        fixed (float* input = x)
        fixed (float* result = output)
        {
            BlockDot.Rows(type, w, cols, input, q8, n, result, rows, 0, rows);
        }

        var rowBytes = (int)type.RowBytes(cols);
        var expanded = new float[cols];
        for (var r = 0; r < rows; r++)
        {
            Dequantize.Row(type, weights.AsSpan(r * rowBytes, rowBytes), expanded);
            for (var b = 0; b < n; b++)
            {
                // The integer path multiplies the inputs as quantized; the float path multiplies them as given.
                double expected = 0, magnitude = 0;
                for (var i = 0; i < cols; i++)
                {
                    var input = BlockDot.Integer(type) ? q8.Values[(b * cols) + i] * (double)q8.Scales[((b * cols) + i) / 32] : x[(b * cols) + i];
                    expected += expanded[i] * input;
                    magnitude += Math.Abs(expanded[i] * input);
                }

                Assert.True(Math.Abs(expected - output[(b * rows) + r]) <= 1e-5 * magnitude, $"{type} row {r} input {b}: {output[(b * rows) + r]} vs {expected}");
            }
        }
    }

    /// <summary>One, three and five super-blocks a row, on each instruction width.</summary>
    public static TheoryData<int, bool> Q6KRows => new()
    {
        { 256, false }, { 256, true }, { 768, false }, { 768, true }, { 1280, false }, { 1280, true },
    };

    [Theory]
    [MemberData(nameof(Q6KRows))]
    public void Q6_K_one_input_kernel_matches_dequantize_then_dot_including_the_extreme_values(int cols, bool wide)
    {
        Assert.SkipUnless(BlockDot.Integer(WeightType.Q6_K), "no AVX2 here: the integer kernel is not used");
        Assert.SkipWhen(wide && !System.Runtime.Intrinsics.X86.Avx512BW.IsSupported, "no AVX-512 here");
        var random = new Random(cols);
        var rowBytes = (int)WeightType.Q6_K.RowBytes(cols);
        // Random rows, then rows of the largest products: every value 63 with sub-scales 127 (and a subnormal float16
        // scale), every value 0 (-32) with -128 (and a negative scale).
        var weights = RandomRows(WeightType.Q6_K, 3, cols, random).Concat(new byte[2 * rowBytes]).ToArray();
        for (var block = 0; block < cols / 256; block++)
        {
            var top = weights.AsSpan((3 * rowBytes) + (block * 210), 210);
            top[..192].Fill(0xFF);
            top[192..208].Fill(127);
            BitConverter.TryWriteBytes(top[208..], (Half)3e-6f);
            var bottom = weights.AsSpan((4 * rowBytes) + (block * 210), 210);
            bottom[192..208].Fill(0x80);
            BitConverter.TryWriteBytes(bottom[208..], (Half)(-0.01f));
        }

        // Inputs at full 8-bit magnitude, alternating in sign, then random ones.
        foreach (var x in new[]
        {
            Enumerable.Range(0, cols).Select(i => i % 2 == 0 ? 2f : -2f).ToArray(),
            Enumerable.Range(0, cols).Select(_ => (random.NextSingle() * 4) - 2).ToArray(),
        })
        {
            var q8 = Q8Rows.Of(x, 1, cols);
            var expanded = new float[cols];
            for (var r = 0; r < weights.Length / rowBytes; r++)
            {
                float actual;
                fixed (byte* w = weights)
                fixed (sbyte* values = q8.Values)
                fixed (float* scales = q8.Scales)
                {
                    actual = BlockDot.Q6_K(w + (r * rowBytes), cols / 256, values, scales, wide);
                }

                Dequantize.Row(WeightType.Q6_K, weights.AsSpan(r * rowBytes, rowBytes), expanded);
                double expected = 0, magnitude = 0;
                for (var i = 0; i < cols; i++)
                {
                    var product = expanded[i] * q8.Values[i] * (double)q8.Scales[i / 32];
                    expected += product;
                    magnitude += Math.Abs(product);
                }

                Assert.True(Math.Abs(expected - actual) <= 1e-5 * magnitude, $"{(wide ? "AVX-512" : "AVX2")} {cols} columns, row {r}: {actual} vs {expected}");
            }
        }
    }

    /// <summary>Q8_0 at 25 blocks a row takes the AVX-512 kernel's one-block tail; the K-quants need whole super-blocks.</summary>
    public static TheoryData<WeightType, int, bool> Tiles => new()
    {
        { WeightType.Q8_0, 800, false }, { WeightType.Q8_0, 800, true },
        { WeightType.Q4_K, 768, false }, { WeightType.Q4_K, 768, true },
        { WeightType.Q6_K, 768, false },
    };

    [Theory]
    [MemberData(nameof(Tiles))]
    public void Four_input_tiles_give_what_the_one_input_kernel_gives_each_input(WeightType type, int cols, bool wide)
    {
        Assert.SkipUnless(BlockDot.Integer(type), "no AVX2 here: the tiles are not used");
        Assert.SkipWhen(wide && !System.Runtime.Intrinsics.X86.Avx512BW.IsSupported, "no AVX-512 here");
        const int rows = 5, n = BlockTiles.Inputs;
        var random = new Random(11);
        var weights = RandomRows(type, rows, cols, random);
        var x = Enumerable.Range(0, n * cols).Select(_ => (random.NextSingle() * 4) - 2).ToArray();
        var q8 = Q8Rows.Of(x, n, cols);
        var tiled = new float[n * rows];
        var single = new float[n * rows];
        var rowBytes = (int)type.RowBytes(cols);
        fixed (byte* w = weights)
        fixed (sbyte* values = q8.Values)
        fixed (float* scales = q8.Scales)
        fixed (float* sums = q8.ScaledSums)
        fixed (float* input = x)
        fixed (float* result = tiled)
        fixed (float* one = single)
        {
            for (var r = 0; r < rows; r++)
            {
                BlockTiles.Tile(type, wide, w + (r * rowBytes), cols, values, scales, sums, result + r, rows);
            }

            for (var b = 0; b < n; b++)
            {
                // The matrix-vector path: this input alone, quantized alone (to the same blocks).
                BlockDot.Rows(type, w, cols, input + (b * cols), Q8Rows.Of(x.AsSpan(b * cols, cols), 1, cols), 1, one + (b * rows), rows, 0, rows);
            }
        }

        // Only the order of the float additions differs.
        var largest = single.Max(Math.Abs);
        Assert.True(largest > 0);
        for (var i = 0; i < tiled.Length; i++)
        {
            Assert.True(Math.Abs(tiled[i] - single[i]) <= 1e-5f * largest, $"{type} {(wide ? "AVX-512" : "AVX2")} output {i}: {tiled[i]} vs {single[i]}");
        }
    }

    /// <summary>Q8_0 at 25 blocks a row (not whole super-blocks); the K-quants at two super-blocks.</summary>
    public static TheoryData<WeightType, int> GemmTypes => new()
    {
        { WeightType.Q8_0, 800 }, { WeightType.Q4_K, 512 }, { WeightType.Q6_K, 512 },
    };

    /// <summary>
    /// The four-row, four-input VNNI tiles against the scalar expansion of weights and 8-bit inputs, at every input
    /// count 1..9 and on row ranges that leave short tiles at both ends (rows [1, 10) of 11).
    /// </summary>
    [Theory]
    [MemberData(nameof(GemmTypes))]
    public void Vnni_tiles_match_the_scalar_expansion_at_odd_sizes(WeightType type, int cols)
    {
        Assert.SkipUnless(BlockGemm.Supports(type), "no AVX-VNNI here: the tiles are not used");
        const int rows = 11, from = 1, to = 10, most = 9;
        var random = new Random(17);
        var weights = RandomRows(type, rows, cols, random);
        var x = Enumerable.Range(0, most * cols).Select(_ => (random.NextSingle() * 4) - 2).ToArray();
        var rowBytes = (int)type.RowBytes(cols);
        var expanded = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            Dequantize.Row(type, weights.AsSpan(r * rowBytes, rowBytes), expanded.AsSpan(r * cols, cols));
        }

        for (var n = 1; n <= most; n++)
        {
            var q8 = Q8Rows.Of(x.AsSpan(0, n * cols), n, cols);
            var output = Enumerable.Repeat(float.NaN, n * rows).ToArray();
            fixed (byte* w = weights)
            fixed (sbyte* values = q8.Values)
            fixed (float* scales = q8.Scales)
            fixed (float* sums = q8.ScaledSums)
            fixed (float* result = output)
            {
                BlockGemm.Run(type, w, cols, values, scales, sums, n, result, rows, from, to);
            }

            for (var b = 0; b < n; b++)
            {
                // Rows outside [from, to) stay untouched.
                Assert.True(float.IsNaN(output[b * rows]) && float.IsNaN(output[(b * rows) + rows - 1]), $"{type} n={n} input {b}: a row outside the range was written");
                for (var r = from; r < to; r++)
                {
                    double expected = 0, magnitude = 0;
                    for (var i = 0; i < cols; i++)
                    {
                        var product = expanded[(r * cols) + i] * q8.Values[(b * cols) + i] * (double)q8.Scales[((b * cols) + i) / 32];
                        expected += product;
                        magnitude += Math.Abs(product);
                    }

                    Assert.True(Math.Abs(expected - output[(b * rows) + r]) <= 1e-5 * magnitude, $"{type} n={n} row {r} input {b}: {output[(b * rows) + r]} vs {expected}");
                }
            }
        }
    }

    [Theory]
    [InlineData(WeightType.Q8_0)]
    [InlineData(WeightType.Q4_0)]
    public void Quantize_at_load_round_trips_within_its_step(WeightType type)
    {
        var random = new Random(5);
        var x = Enumerable.Range(0, 256).Select(_ => (random.NextSingle() * 6) - 3).ToArray();
        var bytes = new byte[type.RowBytes(256)];
        Quantize.Row(type, x, bytes);
        var back = new float[256];
        Dequantize.Row(type, bytes, back);
        for (var block = 0; block < 8; block++)
        {
            var amax = x.Skip(block * 32).Take(32).Max(Math.Abs);
            // Q8_0 rounds to the nearest of ±127 steps; Q4_0 maps the extreme to -8, so the other end clamps at 7, a step short.
            var bound = type == WeightType.Q8_0 ? amax / 127 / 2 : amax / 8;
            for (var i = block * 32; i < (block + 1) * 32; i++)
            {
                Assert.True(Math.Abs(x[i] - back[i]) <= bound + 1e-2f, $"{type} element {i}: {back[i]} vs {x[i]}");
            }
        }
    }

    [Fact]
    public void Dequantize_reads_the_block_layouts_element_by_element()
    {
        // Q4_0: scale 2, nibble j of byte i is element i (low) or i + 16 (high), offset by 8.
        var q4 = new byte[18];
        BitConverter.TryWriteBytes(q4, (Half)2);
        q4[2] = 0x9F; // element 0: 15 - 8 = 7, element 16: 9 - 8 = 1
        var values = new float[32];
        Dequantize.Row(WeightType.Q4_0, q4, values);
        Assert.Equal(14f, values[0]);
        Assert.Equal(2f, values[16]);
        Assert.Equal(-16f, values[1]);

        // Q6_K: element 0 takes ql[0] low nibble and qh[0] bits 0-1, scale[0]; element 64 takes ql[0] high nibble, qh[0] bits 4-5, scale[4].
        var q6 = new byte[210];
        BitConverter.TryWriteBytes(q6.AsSpan(208), (Half)1);
        q6[0] = 0x3A;
        q6[128] = 0b0010_0001;
        q6[192] = 2;
        q6[196] = 3;
        var k = new float[256];
        Dequantize.Row(WeightType.Q6_K, q6, k);
        Assert.Equal(2f * ((0xA | (1 << 4)) - 32), k[0]);
        Assert.Equal(3f * ((0x3 | (2 << 4)) - 32), k[64]);
    }
}
