using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llama.Kernels;

/// <summary>
/// Dot products of block-stored weight rows with input rows. On AVX2 the quantized types work on the blocks as they
/// are, against inputs quantized to 8 bits per block of 32 (<see cref="Q8Rows"/>): 32 products per integer
/// multiply-add (AVX-VNNI's where the CPU has it; Q6_K takes two blocks per AVX-512 instruction where the CPU has it),
/// scaled to float once per block; two inputs or more go through
/// <see cref="BlockGemm"/>'s four-row, four-input tiles where the CPU has AVX-VNNI, else four inputs or more through
/// <see cref="BlockTiles"/> four at a time where it has the type. 16-bit rows, and every type on
/// CPUs without AVX2, are expanded a row at a time into a small buffer and multiplied in float32.
/// </summary>
internal static unsafe class BlockDot
{
    /// <summary>Whether the quantized types take the integer path (and so want <see cref="Q8Rows"/> inputs).</summary>
    public static bool Integer(WeightType type) => Avx2.IsSupported && Fma.IsSupported && type is WeightType.Q8_0 or WeightType.Q4_0 or WeightType.Q4_K or WeightType.Q6_K;

    [ThreadStatic]
    private static float[]? t_row;

    /// <summary>
    /// output[b * outputStride + r] = W[r] · x_b for rows [from, to) of <paramref name="weights"/> (rows of
    /// <paramref name="cols"/> elements stored as <paramref name="type"/>) and each of <paramref name="n"/> inputs,
    /// given as floats <paramref name="x"/> and, for the integer path, as <paramref name="q8"/>. Each row is read from
    /// memory once and from cache for the other inputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(WeightType type, byte* weights, int cols, float* x, Q8Rows? q8, int n, float* output, int outputStride, int from, int to)
    {
        var rowBytes = type.RowBytes(cols);
        if (Integer(type))
        {
            fixed (sbyte* values = q8!.Values)
            fixed (float* scales = q8.Scales)
            fixed (float* sums = q8.ScaledSums)
            {
                if (n >= 2 && BlockGemm.Supports(type))
                {
                    BlockGemm.Run(type, weights, cols, values, scales, sums, n, output, outputStride, from, to);
                    return;
                }

                var blocks = cols / Q8Rows.Block;
                for (var r = from; r < to; r++)
                {
                    var row = weights + (r * rowBytes);
                    var b = 0;
                    if (BlockTiles.Supports(type))
                    {
                        for (; b + BlockTiles.Inputs <= n; b += BlockTiles.Inputs)
                        {
                            BlockTiles.Tile(type, Avx512BW.IsSupported, row, cols, values + ((long)b * cols), scales + (b * blocks), sums + (b * blocks), output + (b * outputStride) + r, outputStride);
                        }
                    }

                    for (; b < n; b++)
                    {
                        var a = values + ((long)b * cols);
                        var d = scales + (b * blocks);
                        output[(b * outputStride) + r] = type switch
                        {
                            WeightType.Q8_0 => Q8_0(row, blocks, a, d),
                            WeightType.Q4_0 => Q4_0(row, blocks, a, d),
                            WeightType.Q4_K => Q4_K(row, cols / 256, a, d, sums + (b * blocks)),
                            _ => Q6_K(row, cols / 256, a, d, Avx512BW.IsSupported),
                        };
                    }
                }
            }

            return;
        }

        if (t_row is null || t_row.Length < cols)
        {
            t_row = new float[cols];
        }

        var expanded = t_row.AsSpan(0, cols);
        for (var r = from; r < to; r++)
        {
            Dequantize.Row(type, new ReadOnlySpan<byte>(weights + (r * rowBytes), (int)rowBytes), expanded);
            for (var b = 0; b < n; b++)
            {
                output[(b * outputStride) + r] = TensorPrimitives.Dot(expanded, new ReadOnlySpan<float>(x + ((long)b * cols), cols));
            }
        }
    }

    /// <summary>Σ w·a over 32 signed pairs, four adjacent products per int32 lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SignedDot(Vector256<sbyte> w, Vector256<sbyte> a)
    {
        // The unsigned-by-signed multiply wants |w| and a carrying w's sign.
        var magnitude = Avx2.Abs(w);
        var signed = Avx2.Sign(a, w);
        return UnsignedDot(magnitude, signed);
    }

    /// <summary>Σ w·a over 32 pairs of unsigned w (at most 127, so pair sums fit int16) and signed a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> UnsignedDot(Vector256<byte> w, Vector256<sbyte> a) =>
        AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, w, a)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w, a), Vector256.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Half(byte* p) => (float)*(Half*)p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Accumulate(Vector256<int> dot, Vector256<float> scale, Vector256<float> acc) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), scale, acc);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q8_0(byte* row, int blocks, sbyte* a, float* d)
    {
        Vector256<float> acc0 = default, acc1 = default;
        var block = 0;
        for (; block + 2 <= blocks; block += 2, row += 68, a += 64)
        {
            var dot0 = SignedDot(Vector256.Load((sbyte*)(row + 2)), Vector256.Load(a));
            var dot1 = SignedDot(Vector256.Load((sbyte*)(row + 36)), Vector256.Load(a + 32));
            acc0 = Accumulate(dot0, Vector256.Create(Half(row) * d[block]), acc0);
            acc1 = Accumulate(dot1, Vector256.Create(Half(row + 34) * d[block + 1]), acc1);
        }

        if (block < blocks)
        {
            acc0 = Accumulate(SignedDot(Vector256.Load((sbyte*)(row + 2)), Vector256.Load(a)), Vector256.Create(Half(row) * d[block]), acc0);
        }

        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>A Q4_0 block's 32 values: low nibbles are elements 0..15, high nibbles 16..31, each offset by 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Q4_0Values(byte* nibbles)
    {
        var raw = Vector128.Load(nibbles);
        var mask = Vector128.Create((byte)0x0F);
        var low = raw & mask;
        var high = (raw.AsUInt16() >> 4).AsByte() & mask;
        return Vector256.Create(low, high).AsSByte() - Vector256.Create((sbyte)8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q4_0(byte* row, int blocks, sbyte* a, float* d)
    {
        Vector256<float> acc0 = default, acc1 = default;
        var block = 0;
        for (; block + 2 <= blocks; block += 2, row += 36, a += 64)
        {
            var dot0 = SignedDot(Q4_0Values(row + 2), Vector256.Load(a));
            var dot1 = SignedDot(Q4_0Values(row + 20), Vector256.Load(a + 32));
            acc0 = Accumulate(dot0, Vector256.Create(Half(row) * d[block]), acc0);
            acc1 = Accumulate(dot1, Vector256.Create(Half(row + 18) * d[block + 1]), acc1);
        }

        if (block < blocks)
        {
            acc0 = Accumulate(SignedDot(Q4_0Values(row + 2), Vector256.Load(a)), Vector256.Create(Half(row) * d[block]), acc0);
        }

        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>
    /// Each super-block: value = d·scale_j·nibble − dmin·min_j for sub-block j of 32. The nibbles multiply the
    /// inputs as unsigned bytes; the minimums meet each input block's scaled sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q4_K(byte* row, int superBlocks, sbyte* a, float* d, float* sums)
    {
        Vector256<float> acc0 = default, acc1 = default;
        var mins = 0f;
        var mask = Vector256.Create((byte)0x0F);
        for (var s = 0; s < superBlocks; s++, row += 144, a += 256, d += 8, sums += 8)
        {
            float scale = Half(row), minScale = Half(row + 2);
            var packed = new ReadOnlySpan<byte>(row + 4, 12);
            for (var j = 0; j < 8; j += 2)
            {
                var (s0, m0) = Dequantize.Q4KScaleMin(packed, j);
                var (s1, m1) = Dequantize.Q4KScaleMin(packed, j + 1);
                var raw = Vector256.Load(row + 16 + (j * 16));
                var dot0 = UnsignedDot(raw & mask, Vector256.Load(a + (j * 32)));
                var dot1 = UnsignedDot((raw.AsUInt16() >> 4).AsByte() & mask, Vector256.Load(a + (j * 32) + 32));
                acc0 = Accumulate(dot0, Vector256.Create(scale * s0 * d[j]), acc0);
                acc1 = Accumulate(dot1, Vector256.Create(scale * s1 * d[j + 1]), acc1);
                mins += minScale * ((m0 * sums[j]) + (m1 * sums[j + 1]));
            }
        }

        return Vector256.Sum(acc0 + acc1) - mins;
    }

    /// <summary>A Q6_K row (<paramref name="superBlocks"/> of 256) against one 8-bit input, with AVX-512 when <paramref name="wide"/>.</summary>
    internal static float Q6_K(byte* row, int superBlocks, sbyte* a, float* d, bool wide) =>
        wide ? Q6_KWide(row, superBlocks, a, d) : Q6_KNarrow(row, superBlocks, a, d);

    /// <summary>
    /// Each super-block: two halves of 128 values, each four groups of 32 whose low four bits come from ql and high two
    /// from qh, offset by 32; an int8 scale per 16 values, applied per lane (lanes 0..3 hold elements 0..15).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q6_KNarrow(byte* row, int superBlocks, sbyte* a, float* d)
    {
        Vector256<float> acc0 = default, acc1 = default;
        var low = Vector256.Create((byte)0x0F);
        var two = Vector256.Create((byte)0x03);
        var offset = Vector256.Create((sbyte)32);
        for (var s = 0; s < superBlocks; s++, row += 210, a += 256, d += 8)
        {
            var scale = Half(row + 208);
            for (var half = 0; half < 2; half++)
            {
                var ql = row + (half * 64);
                var qh = Vector256.Load(row + 128 + (half * 32));
                var sc = (sbyte*)(row + 192 + (half * 8));
                var ql0 = Vector256.Load(ql);
                var ql1 = Vector256.Load(ql + 32);
                var g0 = (ql0 & low) | ((qh & two).AsUInt16() << 4).AsByte();
                var g1 = (ql1 & low) | (((qh.AsUInt16() >> 2).AsByte() & two).AsUInt16() << 4).AsByte();
                var g2 = ((ql0.AsUInt16() >> 4).AsByte() & low) | (((qh.AsUInt16() >> 4).AsByte() & two).AsUInt16() << 4).AsByte();
                var g3 = ((ql1.AsUInt16() >> 4).AsByte() & low) | (((qh.AsUInt16() >> 6).AsByte() & two).AsUInt16() << 4).AsByte();
                var input = a + (half * 128);
                var da = d + (half * 4);
                acc0 = Accumulate(SignedDot(g0.AsSByte() - offset, Vector256.Load(input)), Scales(scale * da[0], sc[0], sc[1]), acc0);
                acc1 = Accumulate(SignedDot(g1.AsSByte() - offset, Vector256.Load(input + 32)), Scales(scale * da[1], sc[2], sc[3]), acc1);
                acc0 = Accumulate(SignedDot(g2.AsSByte() - offset, Vector256.Load(input + 64)), Scales(scale * da[2], sc[4], sc[5]), acc0);
                acc1 = Accumulate(SignedDot(g3.AsSByte() - offset, Vector256.Load(input + 96)), Scales(scale * da[3], sc[6], sc[7]), acc1);
            }
        }

        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>
    /// <see cref="Q6_KNarrow"/> on AVX-512: two groups of 32 values per step. The six-bit values (0..63) multiply the
    /// inputs as unsigned bytes and the offset comes off as 32 times the inputs' pair sums, both exact in int16; the
    /// int8 sub-scales (one per 16 values) then multiply those pairs in integer, so each step converts to float once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q6_KWide(byte* row, int superBlocks, sbyte* a, float* d)
    {
        Vector512<float> acc0 = default, acc1 = default;
        var low = Vector512.Create((byte)0x0F);
        var two = Vector512.Create((byte)0x03);
        var offset = Vector512.Create((byte)32);
        // Byte shuffles (within each 128-bit lane) that repeat sub-scales 0..3, or 4..7, eight times each.
        var first = Vector256.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, (sbyte)3);
        var second = first + Vector256.Create((sbyte)4);
        // Float lanes 0..7 of a step are its first group of 32 values, lanes 8..15 its second: input blocks 0 and 1 (2 and 3).
        var blocks01 = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        var blocks23 = blocks01 + Vector512.Create(2);
        for (var s = 0; s < superBlocks; s++, row += 210, a += 256, d += 8)
        {
            var blockScales = (Vector256.Load(d) * InlineHalf(row + 208)).ToVector512Unsafe();
            for (var half = 0; half < 2; half++)
            {
                var ql = Vector512.Load(row + (half * 64));
                var qh = Vector256.Load(row + 128 + (half * 32)).AsUInt16();
                var sc = Vector128.CreateScalar(*(ulong*)(row + 192 + (half * 8))).AsSByte();
                var subScales = Vector256.Create(sc, sc);
                var q01 = (ql & low) | ((Join(qh, qh >> 2).AsByte() & two).AsUInt16() << 4).AsByte();
                var q23 = ((ql.AsUInt16() >> 4).AsByte() & low) | ((Join(qh >> 4, qh >> 6).AsByte() & two).AsUInt16() << 4).AsByte();
                var input = a + (half * 128);
                var next = Vector512.Create(half * 4);
                acc0 = Vector512.FusedMultiplyAdd(
                    Avx512F.ConvertToVector512Single(Q6Dot(q01, Vector512.Load(input), Avx2.Shuffle(subScales, first), offset)),
                    Avx512F.PermuteVar16x32(blockScales, blocks01 + next),
                    acc0);
                acc1 = Vector512.FusedMultiplyAdd(
                    Avx512F.ConvertToVector512Single(Q6Dot(q23, Vector512.Load(input + 64), Avx2.Shuffle(subScales, second), offset)),
                    Avx512F.PermuteVar16x32(blockScales, blocks23 + next),
                    acc1);
            }
        }

        return Vector512.Sum(acc0 + acc1);
    }

    /// <summary>
    /// A float16 as a float without <see cref="System.Half"/>'s conversion, which is a call: inside a vector loop a call
    /// spills every vector register. Exponent and mantissa move to float's places and 2^112 rebases the exponent, which
    /// is exact for normal and subnormal values; infinities and NaNs keep their bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float InlineHalf(byte* p)
    {
        const float TwoTo112 = 5.192296858534828e33f;
        uint bits = *(ushort*)p;
        var sign = (bits & 0x8000) << 16;
        var rest = (bits & 0x7FFF) << 13;
        return (bits & 0x7C00) == 0x7C00
            ? BitConverter.UInt32BitsToSingle(sign | 0x7F800000 | rest)
            : BitConverter.UInt32BitsToSingle(sign | BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(rest) * TwoTo112));
    }

    /// <summary>One 512-bit vector of two halves, built in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> Join(Vector256<ushort> low, Vector256<ushort> high) => Avx512F.InsertVector256(low.ToVector512Unsafe(), high, 1);

    /// <summary>Σ (q − 32)·a·sub-scale over each four adjacent values; <paramref name="subScales"/> holds one byte per value pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Q6Dot(Vector512<byte> q, Vector512<sbyte> a, Vector256<sbyte> subScales, Vector512<byte> offset)
    {
        var pairs = Avx512BW.MultiplyAddAdjacent(q, a) - Avx512BW.MultiplyAddAdjacent(offset, a);
        return Avx512BW.MultiplyAddAdjacent(pairs, Avx512BW.ConvertToVector512Int16(subScales));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales(float common, sbyte first, sbyte second) =>
        Vector256.Create(Vector128.Create(common * first), Vector128.Create(common * second));
}
