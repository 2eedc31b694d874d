using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llama.Kernels;

/// <summary>
/// One block-stored weight row against <see cref="Inputs"/> 8-bit input rows at once, for prefill chunks and serving
/// batches: each weight block is loaded and decoded (signs, nibbles, K-quant sub-scales) once for the tile instead of
/// once per input, and the tile's four sums are independent chains. AVX-512 takes two 32-value blocks per instruction,
/// AVX2 one (AVX-VNNI's multiply-add where present). Q8_0, Q4_K and Q6_K: the types of Q8_0 and Q4_K_M files' matrices.
/// </summary>
internal static unsafe class BlockTiles
{
    /// <summary>Input rows per tile.</summary>
    public const int Inputs = 4;

    public static bool Supports(WeightType type) => BlockDot.Integer(type) && type is WeightType.Q8_0 or WeightType.Q4_K or WeightType.Q6_K;

    /// <summary>
    /// output[i * outputStride] = W_row · input i for the four inputs whose 8-bit values start at <paramref name="a"/>
    /// (one every <paramref name="cols"/>), block scales at <paramref name="d"/> and scaled sums at <paramref name="sums"/>
    /// (one every cols / 32).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    /// <param name="wide">Whether to take the AVX-512 kernels (Q6_K has only the AVX2 one): <c>Avx512BW.IsSupported</c>, or false.</param>
    public static void Tile(WeightType type, bool wide, byte* row, int cols, sbyte* a, float* d, float* sums, float* output, int outputStride)
    {
        var (s0, s1, s2, s3) = (type, wide) switch
        {
            (WeightType.Q8_0, true) => Q8_0Wide(row, cols, a, d),
            (WeightType.Q8_0, false) => Q8_0(row, 0, cols / Q8Rows.Block, cols, a, d, default),
            (WeightType.Q6_K, _) => Q6_K(row, cols, a, d),
            (_, true) => Q4_KWide(row, cols, a, d, sums),
            _ => Q4_K(row, cols, a, d, sums),
        };
        output[0] = s0;
        output[outputStride] = s1;
        output[2 * outputStride] = s2;
        output[3 * outputStride] = s3;
    }

    /// <summary>Blocks [<paramref name="first"/>, <paramref name="end"/>) of a Q8_0 row (at block 0) against the four inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, float, float) Q8_0(byte* row, int first, int end, int cols, sbyte* a, float* d, (float, float, float, float) start)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        sbyte* a1 = a + cols, a2 = a1 + cols, a3 = a2 + cols;
        var blocks = cols / Q8Rows.Block;
        float* d1 = d + blocks, d2 = d1 + blocks, d3 = d2 + blocks;
        for (var k = first; k < end; k++)
        {
            var block = row + (k * 34);
            var w = Vector256.Load((sbyte*)(block + 2));
            var magnitude = Avx2.Abs(w);
            var scale = BlockDot.Half(block);
            var at = k * Q8Rows.Block;
            s0 = BlockDot.Accumulate(BlockDot.UnsignedDot(magnitude, Avx2.Sign(Vector256.Load(a + at), w)), Vector256.Create(scale * d[k]), s0);
            s1 = BlockDot.Accumulate(BlockDot.UnsignedDot(magnitude, Avx2.Sign(Vector256.Load(a1 + at), w)), Vector256.Create(scale * d1[k]), s1);
            s2 = BlockDot.Accumulate(BlockDot.UnsignedDot(magnitude, Avx2.Sign(Vector256.Load(a2 + at), w)), Vector256.Create(scale * d2[k]), s2);
            s3 = BlockDot.Accumulate(BlockDot.UnsignedDot(magnitude, Avx2.Sign(Vector256.Load(a3 + at), w)), Vector256.Create(scale * d3[k]), s3);
        }

        return (start.Item1 + Vector256.Sum(s0), start.Item2 + Vector256.Sum(s1), start.Item3 + Vector256.Sum(s2), start.Item4 + Vector256.Sum(s3));
    }

    /// <summary>Two blocks per step; AVX-512 has no byte sign instruction, so each input is negated where the weight is negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, float, float) Q8_0Wide(byte* row, int cols, sbyte* a, float* d)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        sbyte* a1 = a + cols, a2 = a1 + cols, a3 = a2 + cols;
        var blocks = cols / Q8Rows.Block;
        float* d1 = d + blocks, d2 = d1 + blocks, d3 = d2 + blocks;
        var k = 0;
        for (; k + 2 <= blocks; k += 2)
        {
            var block = row + (k * 34);
            var w = Vector512.Create(Vector256.Load((sbyte*)(block + 2)), Vector256.Load((sbyte*)(block + 36)));
            var magnitude = Avx512BW.Abs(w);
            var negative = Vector512.LessThan(w, Vector512<sbyte>.Zero);
            var scale = Pair(BlockDot.Half(block), BlockDot.Half(block + 34));
            var at = k * Q8Rows.Block;
            s0 = Accumulate(Dot(magnitude, Signed(Vector512.Load(a + at), negative)), scale * Pair(d[k], d[k + 1]), s0);
            s1 = Accumulate(Dot(magnitude, Signed(Vector512.Load(a1 + at), negative)), scale * Pair(d1[k], d1[k + 1]), s1);
            s2 = Accumulate(Dot(magnitude, Signed(Vector512.Load(a2 + at), negative)), scale * Pair(d2[k], d2[k + 1]), s2);
            s3 = Accumulate(Dot(magnitude, Signed(Vector512.Load(a3 + at), negative)), scale * Pair(d3[k], d3[k + 1]), s3);
        }

        return Q8_0(row, k, blocks, cols, a, d, (Vector512.Sum(s0), Vector512.Sum(s1), Vector512.Sum(s2), Vector512.Sum(s3)));
    }

    /// <summary>
    /// Per super-block the eight sub-scales and sub-minimums are unpacked once; each input's block scales meet them in
    /// one multiply, and its scaled sums meet the minimums in one more (subtracted from the same accumulator).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, float, float) Q4_K(byte* row, int cols, sbyte* a, float* d, float* sums)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        var blocks = cols / Q8Rows.Block;
        var mask = Vector256.Create((byte)0x0F);
        for (var sb = 0; sb < cols / 256; sb++, row += 144)
        {
            var (scales, mins) = SubScales(row);
            var o = sb * 8;
            s0 = Vector256.FusedMultiplyAdd(-mins, Vector256.Load(sums + o), s0);
            s1 = Vector256.FusedMultiplyAdd(-mins, Vector256.Load(sums + blocks + o), s1);
            s2 = Vector256.FusedMultiplyAdd(-mins, Vector256.Load(sums + (2 * blocks) + o), s2);
            s3 = Vector256.FusedMultiplyAdd(-mins, Vector256.Load(sums + (3 * blocks) + o), s3);
            var ds0 = scales * Vector256.Load(d + o);
            var ds1 = scales * Vector256.Load(d + blocks + o);
            var ds2 = scales * Vector256.Load(d + (2 * blocks) + o);
            var ds3 = scales * Vector256.Load(d + (3 * blocks) + o);
            var input = a + (sb * 256);
            for (var j = 0; j < 8; j++)
            {
                // Sub-block j: the low nibbles of bytes 32·(j/2).. for even j, the high nibbles for odd j.
                var raw = Vector256.Load(row + 16 + (j / 2 * 32));
                var q = (j % 2 == 0 ? raw : (raw.AsUInt16() >> 4).AsByte()) & mask;
                var lane = Vector256.Create(j);
                var at = input + (j * 32);
                s0 = BlockDot.Accumulate(BlockDot.UnsignedDot(q, Vector256.Load(at)), Avx2.PermuteVar8x32(ds0, lane), s0);
                s1 = BlockDot.Accumulate(BlockDot.UnsignedDot(q, Vector256.Load(at + cols)), Avx2.PermuteVar8x32(ds1, lane), s1);
                s2 = BlockDot.Accumulate(BlockDot.UnsignedDot(q, Vector256.Load(at + (2 * cols))), Avx2.PermuteVar8x32(ds2, lane), s2);
                s3 = BlockDot.Accumulate(BlockDot.UnsignedDot(q, Vector256.Load(at + (3 * cols))), Avx2.PermuteVar8x32(ds3, lane), s3);
            }
        }

        return (Vector256.Sum(s0), Vector256.Sum(s1), Vector256.Sum(s2), Vector256.Sum(s3));
    }

    /// <summary>
    /// The same two sub-blocks per instruction: 64 bytes of nibbles hold sub-blocks 4h and 4h + 2 in their low nibbles and
    /// 4h + 1 and 4h + 3 in their high ones, so each input's matching halves are paired to meet them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, float, float) Q4_KWide(byte* row, int cols, sbyte* a, float* d, float* sums)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<float> m0 = default, m1 = default, m2 = default, m3 = default;
        var blocks = cols / Q8Rows.Block;
        var mask = Vector512.Create((byte)0x0F);
        for (var sb = 0; sb < cols / 256; sb++, row += 144)
        {
            var (scales, mins) = SubScales(row);
            var o = sb * 8;
            m0 = Vector256.FusedMultiplyAdd(mins, Vector256.Load(sums + o), m0);
            m1 = Vector256.FusedMultiplyAdd(mins, Vector256.Load(sums + blocks + o), m1);
            m2 = Vector256.FusedMultiplyAdd(mins, Vector256.Load(sums + (2 * blocks) + o), m2);
            m3 = Vector256.FusedMultiplyAdd(mins, Vector256.Load(sums + (3 * blocks) + o), m3);
            var ds0 = Vector512.Create(scales * Vector256.Load(d + o), default);
            var ds1 = Vector512.Create(scales * Vector256.Load(d + blocks + o), default);
            var ds2 = Vector512.Create(scales * Vector256.Load(d + (2 * blocks) + o), default);
            var ds3 = Vector512.Create(scales * Vector256.Load(d + (3 * blocks) + o), default);
            var input = a + (sb * 256);
            for (var h = 0; h < 2; h++)
            {
                var raw = Vector512.Load(row + 16 + (h * 64));
                for (var high = 0; high < 2; high++)
                {
                    var q = (high == 0 ? raw : (raw.AsUInt16() >> 4).AsByte()) & mask;
                    var j = (4 * h) + high;
                    var lanes = Vector512.Create(Vector256.Create(j), Vector256.Create(j + 2));
                    var at = input + (j * 32);
                    s0 = Accumulate(Dot(q, Halves(at)), Avx512F.PermuteVar16x32(ds0, lanes), s0);
                    s1 = Accumulate(Dot(q, Halves(at + cols)), Avx512F.PermuteVar16x32(ds1, lanes), s1);
                    s2 = Accumulate(Dot(q, Halves(at + (2 * cols))), Avx512F.PermuteVar16x32(ds2, lanes), s2);
                    s3 = Accumulate(Dot(q, Halves(at + (3 * cols))), Avx512F.PermuteVar16x32(ds3, lanes), s3);
                }
            }
        }

        return (Vector512.Sum(s0) - Vector256.Sum(m0), Vector512.Sum(s1) - Vector256.Sum(m1), Vector512.Sum(s2) - Vector256.Sum(m2), Vector512.Sum(s3) - Vector256.Sum(m3));
    }

    /// <summary>
    /// Q6_K: each group of 32 six-bit values (low four bits from ql, high two from qh, offset by 32) is decoded once for
    /// the four inputs, with its two int8 scales (one per 16 values, lanes 0..3 and 4..7) times the super-block's scale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, float, float) Q6_K(byte* row, int cols, sbyte* a, float* d)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        var blocks = cols / Q8Rows.Block;
        var low = Vector256.Create((byte)0x0F);
        var two = Vector256.Create((byte)0x03);
        var offset = Vector256.Create((sbyte)32);
        for (var sb = 0; sb < cols / 256; sb++, row += 210)
        {
            var scale = BlockDot.Half(row + 208);
            for (var half = 0; half < 2; half++)
            {
                var qh = Vector256.Load(row + 128 + (half * 32));
                var sc = (sbyte*)(row + 192 + (half * 8));
                for (var k = 0; k < 4; k++)
                {
                    // Groups 0..3 of the half: ql's first then second 32 bytes, low nibbles then high; qh's bit pairs 0..3.
                    var ql = Vector256.Load(row + (half * 64) + (k % 2 * 32));
                    var nibbles = (k < 2 ? ql : (ql.AsUInt16() >> 4).AsByte()) & low;
                    var high = (((qh.AsUInt16() >> (2 * k)).AsByte() & two).AsUInt16() << 4).AsByte();
                    var w = (nibbles | high).AsSByte() - offset;
                    var magnitude = Avx2.Abs(w);
                    var scales = Vector256.Create(Vector128.Create((float)sc[2 * k]), Vector128.Create((float)sc[(2 * k) + 1])) * scale;
                    var at = a + (sb * 256) + (half * 128) + (k * 32);
                    var block = (sb * 8) + (half * 4) + k;
                    s0 = BlockDot.Accumulate(BlockDot.UnsignedDot(magnitude, Avx2.Sign(Vector256.Load(at), w)), scales * d[block], s0);
                    s1 = BlockDot.Accumulate(BlockDot.UnsignedDot(magnitude, Avx2.Sign(Vector256.Load(at + cols), w)), scales * d[blocks + block], s1);
                    s2 = BlockDot.Accumulate(BlockDot.UnsignedDot(magnitude, Avx2.Sign(Vector256.Load(at + (2 * cols)), w)), scales * d[(2 * blocks) + block], s2);
                    s3 = BlockDot.Accumulate(BlockDot.UnsignedDot(magnitude, Avx2.Sign(Vector256.Load(at + (3 * cols)), w)), scales * d[(3 * blocks) + block], s3);
                }
            }
        }

        return (Vector256.Sum(s0), Vector256.Sum(s1), Vector256.Sum(s2), Vector256.Sum(s3));
    }

    /// <summary>A Q4_K super-block's scale times each sub-block's six-bit scale, and its min scale times each six-bit minimum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Scales, Vector256<float> Mins) SubScales(byte* superBlock)
    {
        var packed = new ReadOnlySpan<byte>(superBlock + 4, 12);
        var scales = stackalloc float[8];
        var mins = stackalloc float[8];
        for (var j = 0; j < 8; j++)
        {
            var (scale, min) = Dequantize.Q4KScaleMin(packed, j);
            scales[j] = scale;
            mins[j] = min;
        }

        return (Vector256.Load(scales) * BlockDot.Half(superBlock), Vector256.Load(mins) * BlockDot.Half(superBlock + 2));
    }

    /// <summary>Input values [at, at + 32) and [at + 64, at + 96): the sub-blocks two apart that one 64-byte nibble load serves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> Halves(sbyte* at) => Vector512.Create(Vector256.Load(at), Vector256.Load(at + 64));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(float low, float high) => Vector512.Create(Vector256.Create(low), Vector256.Create(high));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> Signed(Vector512<sbyte> x, Vector512<sbyte> negative) => Vector512.ConditionalSelect(negative, -x, x);

    /// <summary>Σ w·a over 64 pairs of unsigned w (at most 127) and signed a, four adjacent products per int32 lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Dot(Vector512<byte> w, Vector512<sbyte> a) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(w, a), Vector512.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Accumulate(Vector512<int> dot, Vector512<float> scale, Vector512<float> acc) =>
        Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), scale, acc);
}
