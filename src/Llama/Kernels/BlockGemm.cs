using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llama.Kernels;

/// <summary>
/// Block-stored weights against several 8-bit input rows with AVX-VNNI, for prefill chunks and serving batches: tiles of
/// <see cref="Rows"/> weight rows × <see cref="Inputs"/> inputs, so each decoded weight block meets four inputs and each
/// loaded input block four weight rows, with sixteen independent sums. Every weight block is decoded to unsigned bytes
/// (Q8_0 plus 128, Q6_K's six bits as stored, Q4_K's nibbles) and meets the signed inputs in one
/// <c>vpdpbusd</c> per 32 products, no sign juggling; the offset comes back out through each input block's sum (the
/// multiply-add of the offset with the input, started once per input block for the whole tile), and Q4_K's minimums
/// through the inputs' scaled sums. One float conversion and multiply-add per block and pair remain.
/// </summary>
internal static unsafe class BlockGemm
{
    public const int Rows = 4;

    public const int Inputs = 4;

    /// <summary>Whether the CPU has the instructions and the kernel has the type.</summary>
    public static bool Supports(WeightType type) =>
        AvxVnni.IsSupported && Fma.IsSupported && type is WeightType.Q8_0 or WeightType.Q4_K or WeightType.Q6_K;

    /// <summary>
    /// output[b * outputStride + r] = W[r] · input b for rows [from, to) of <paramref name="weights"/> and inputs
    /// [0, n): 8-bit values at <paramref name="a"/> (one row every cols), block scales at <paramref name="d"/> and
    /// scaled sums at <paramref name="sums"/> (one row every cols / 32), as <see cref="Q8Rows"/> holds them.
    /// </summary>
    public static void Run(WeightType type, byte* weights, int cols, sbyte* a, float* d, float* sums, int n, float* output, int outputStride, int from, int to)
    {
        switch (type)
        {
            case WeightType.Q8_0:
                Run<Q8_0Blocks>(type.RowBytes(cols), weights, cols, a, d, sums, n, output, outputStride, from, to);
                break;
            case WeightType.Q4_K:
                Run<Q4_KBlocks>(type.RowBytes(cols), weights, cols, a, d, sums, n, output, outputStride, from, to);
                break;
            case WeightType.Q6_K:
                Run<Q6_KBlocks>(type.RowBytes(cols), weights, cols, a, d, sums, n, output, outputStride, from, to);
                break;
            default:
                throw new ArgumentException($"No VNNI tiles for {type}.", nameof(type));
        }
    }

    private static void Run<T>(long rowBytes, byte* weights, int cols, sbyte* a, float* d, float* sums, int n, float* output, int outputStride, int from, int to)
        where T : struct, IBlocks
    {
        var blocks = cols / Q8Rows.Block;
        for (var r = from; r < to; r += Rows)
        {
            var rows = Math.Min(Rows, to - r);
            for (var b = 0; b < n; b += Inputs)
            {
                Tile<T>(weights + (r * rowBytes), rowBytes, rows, cols, blocks, a + ((long)b * cols), d + (b * blocks), sums + (b * blocks), Math.Min(Inputs, n - b), output + (b * outputStride) + r, outputStride);
            }
        }
    }

    /// <summary>
    /// One tile: <paramref name="rows"/> (1..4) weight rows against <paramref name="inputs"/> (1..4) inputs. A short
    /// tile repeats its last row or input and keeps only its own sums, so one unrolled kernel serves every edge.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<T>(byte* w, long rowBytes, int rows, int cols, int blocks, sbyte* a, float* d, float* sums, int inputs, float* output, int outputStride)
        where T : struct, IBlocks
    {
        byte* w0 = w, w1 = w + (Math.Min(1, rows - 1) * rowBytes), w2 = w + (Math.Min(2, rows - 1) * rowBytes), w3 = w + (Math.Min(3, rows - 1) * rowBytes);
        int i1 = Math.Min(1, inputs - 1), i2 = Math.Min(2, inputs - 1), i3 = Math.Min(3, inputs - 1);
        sbyte* a0 = a, a1 = a + ((long)i1 * cols), a2 = a + ((long)i2 * cols), a3 = a + ((long)i3 * cols);
        float* d0 = d, d1 = d + (i1 * blocks), d2 = d + (i2 * blocks), d3 = d + (i3 * blocks);
        float* m0 = sums, m1 = sums + (i1 * blocks), m2 = sums + (i2 * blocks), m3 = sums + (i3 * blocks);
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector256<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector256<float> s30 = default, s31 = default, s32 = default, s33 = default;
        var offset = Vector256.Create((byte)T.Offset);
        for (var group = 0; group < blocks / T.Group; group++)
        {
            var p0 = T.Prepare(w0, group, out var n0);
            var p1 = T.Prepare(w1, group, out var n1);
            var p2 = T.Prepare(w2, group, out var n2);
            var p3 = T.Prepare(w3, group, out var n3);
            if (T.HasMinimums)
            {
                // Q4_K: each row's eight sub-block minimums meet each input's eight scaled sums; the lanes of a sum
                // are added up at the end, so they can go into the same accumulators.
                var o = group * T.Group;
                Vector256<float> x0 = Vector256.Load(m0 + o), x1 = Vector256.Load(m1 + o), x2 = Vector256.Load(m2 + o), x3 = Vector256.Load(m3 + o);
                s00 = Fma.MultiplyAddNegated(n0, x0, s00);
                s01 = Fma.MultiplyAddNegated(n0, x1, s01);
                s02 = Fma.MultiplyAddNegated(n0, x2, s02);
                s03 = Fma.MultiplyAddNegated(n0, x3, s03);
                s10 = Fma.MultiplyAddNegated(n1, x0, s10);
                s11 = Fma.MultiplyAddNegated(n1, x1, s11);
                s12 = Fma.MultiplyAddNegated(n1, x2, s12);
                s13 = Fma.MultiplyAddNegated(n1, x3, s13);
                s20 = Fma.MultiplyAddNegated(n2, x0, s20);
                s21 = Fma.MultiplyAddNegated(n2, x1, s21);
                s22 = Fma.MultiplyAddNegated(n2, x2, s22);
                s23 = Fma.MultiplyAddNegated(n2, x3, s23);
                s30 = Fma.MultiplyAddNegated(n3, x0, s30);
                s31 = Fma.MultiplyAddNegated(n3, x1, s31);
                s32 = Fma.MultiplyAddNegated(n3, x2, s32);
                s33 = Fma.MultiplyAddNegated(n3, x3, s33);
            }

            for (var j = 0; j < T.Group; j++)
            {
                var k = (group * T.Group) + j;
                var q0 = T.Values(w0, group, j, p0, out var c0);
                var q1 = T.Values(w1, group, j, p1, out var c1);
                var q2 = T.Values(w2, group, j, p2, out var c2);
                var q3 = T.Values(w3, group, j, p3, out var c3);
                var at = k * Q8Rows.Block;
                Vector256<sbyte> x0v = Vector256.Load(a0 + at), x1v = Vector256.Load(a1 + at), x2v = Vector256.Load(a2 + at), x3v = Vector256.Load(a3 + at);

                // Each input's dot products start at minus offset × its sum (by lanes), so the offset weights cancel.
                Vector256<int> z0 = default, z1 = default, z2 = default, z3 = default;
                if (T.Offset != 0)
                {
                    z0 = Vector256<int>.Zero - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, offset, x0v);
                    z1 = Vector256<int>.Zero - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, offset, x1v);
                    z2 = Vector256<int>.Zero - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, offset, x2v);
                    z3 = Vector256<int>.Zero - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, offset, x3v);
                }

                Vector256<float> e0 = Vector256.Create(d0[k]), e1 = Vector256.Create(d1[k]), e2 = Vector256.Create(d2[k]), e3 = Vector256.Create(d3[k]);
                s00 = Step(z0, q0, x0v, c0 * e0, s00);
                s01 = Step(z1, q0, x1v, c0 * e1, s01);
                s02 = Step(z2, q0, x2v, c0 * e2, s02);
                s03 = Step(z3, q0, x3v, c0 * e3, s03);
                s10 = Step(z0, q1, x0v, c1 * e0, s10);
                s11 = Step(z1, q1, x1v, c1 * e1, s11);
                s12 = Step(z2, q1, x2v, c1 * e2, s12);
                s13 = Step(z3, q1, x3v, c1 * e3, s13);
                s20 = Step(z0, q2, x0v, c2 * e0, s20);
                s21 = Step(z1, q2, x1v, c2 * e1, s21);
                s22 = Step(z2, q2, x2v, c2 * e2, s22);
                s23 = Step(z3, q2, x3v, c2 * e3, s23);
                s30 = Step(z0, q3, x0v, c3 * e0, s30);
                s31 = Step(z1, q3, x1v, c3 * e1, s31);
                s32 = Step(z2, q3, x2v, c3 * e2, s32);
                s33 = Step(z3, q3, x3v, c3 * e3, s33);
            }
        }

        Store(output, outputStride, 0, rows, inputs, s00, s01, s02, s03);
        Store(output, outputStride, 1, rows, inputs, s10, s11, s12, s13);
        Store(output, outputStride, 2, rows, inputs, s20, s21, s22, s23);
        Store(output, outputStride, 3, rows, inputs, s30, s31, s32, s33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<int> start, Vector256<byte> q, Vector256<sbyte> x, Vector256<float> scale, Vector256<float> acc) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(AvxVnni.MultiplyWideningAndAdd(start, q, x)), scale, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* output, int outputStride, int row, int rows, int inputs, Vector256<float> i0, Vector256<float> i1, Vector256<float> i2, Vector256<float> i3)
    {
        if (row >= rows)
        {
            return;
        }

        output[row] = Vector256.Sum(i0);
        if (inputs > 1)
        {
            output[outputStride + row] = Vector256.Sum(i1);
        }

        if (inputs > 2)
        {
            output[(2 * outputStride) + row] = Vector256.Sum(i2);
        }

        if (inputs > 3)
        {
            output[(3 * outputStride) + row] = Vector256.Sum(i3);
        }
    }

    /// <summary>
    /// A block format as the tiles see it: groups of <see cref="Group"/> blocks of 32 (a K-quant super-block, or one
    /// Q8_0 block) whose common numbers are decoded once, then per block 32 unsigned values and their lanes' scales.
    /// </summary>
    private interface IBlocks
    {
        /// <summary>What was added to each stored value to make it unsigned.</summary>
        static abstract int Offset { get; }

        /// <summary>Whether the format subtracts a minimum per block (Q4_K).</summary>
        static abstract bool HasMinimums { get; }

        static abstract int Group { get; }

        /// <summary>What the group's blocks share (the sub-block scales), and its minimums where it has them.</summary>
        static abstract Vector256<float> Prepare(byte* row, int group, out Vector256<float> minimums);

        /// <summary>Block <paramref name="j"/> of the group: its values, unsigned, and the scale of each int32 lane of their dot product.</summary>
        static abstract Vector256<byte> Values(byte* row, int group, int j, Vector256<float> prepared, out Vector256<float> scale);
    }

    private readonly struct Q8_0Blocks : IBlocks
    {
        public static int Offset => 128;

        public static bool HasMinimums => false;

        public static int Group => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Prepare(byte* row, int group, out Vector256<float> minimums)
        {
            minimums = default;
            return Vector256.Create(BlockDot.Half(row + (group * 34)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Values(byte* row, int group, int j, Vector256<float> prepared, out Vector256<float> scale)
        {
            scale = prepared;
            return Vector256.Load(row + (group * 34) + 2) ^ Vector256.Create((byte)0x80);
        }
    }

    /// <summary>Sub-block j of a super-block: the low nibbles of bytes 32·(j/2).. for even j, the high nibbles for odd j.</summary>
    private readonly struct Q4_KBlocks : IBlocks
    {
        public static int Offset => 0;

        public static bool HasMinimums => true;

        public static int Group => 8;

        /// <summary>
        /// The twelve bytes of six-bit scales and minimums unpacked four at a time (scales 0..3 and minimums 0..3 are
        /// the low six bits of bytes 0..7; scales and minimums 4..7 take bytes 8..11's nibbles and the top two bits of
        /// bytes 0..7), as <see cref="Dequantize.Q4KScaleMin"/> reads them one at a time.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Prepare(byte* row, int group, out Vector256<float> minimums)
        {
            const uint six = 0x3F3F3F3F, four = 0x0F0F0F0F, two = 0x03030303;
            var superBlock = row + (group * 144);
            uint b0 = *(uint*)(superBlock + 4), b1 = *(uint*)(superBlock + 8), b2 = *(uint*)(superBlock + 12);
            var scales = (b0 & six) | ((ulong)((b2 & four) | (((b0 >> 6) & two) << 4)) << 32);
            var mins = (b1 & six) | ((ulong)(((b2 >> 4) & four) | (((b1 >> 6) & two) << 4)) << 32);
            minimums = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Vector128.CreateScalar(mins).AsByte())) * BlockDot.Half(superBlock + 2);
            return Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Vector128.CreateScalar(scales).AsByte())) * BlockDot.Half(superBlock);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Values(byte* row, int group, int j, Vector256<float> prepared, out Vector256<float> scale)
        {
            scale = Avx2.PermuteVar8x32(prepared, Vector256.Create(j));
            var raw = Vector256.Load(row + (group * 144) + 16 + (j / 2 * 32));
            return ((j % 2 == 0) ? raw : (raw.AsUInt16() >> 4).AsByte()) & Vector256.Create((byte)0x0F);
        }
    }

    /// <summary>
    /// Q6_K by half super-blocks of 128 values: group g of a half takes its low four bits from ql (the half's first or
    /// second 32 bytes, low then high nibbles) and its high two from qh's bit pair g; an int8 scale per 16 values, so
    /// lanes 0..3 and 4..7 scale apart. A half's eight scales are converted once.
    /// </summary>
    private readonly struct Q6_KBlocks : IBlocks
    {
        public static int Offset => 32;

        public static bool HasMinimums => false;

        public static int Group => 4;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Prepare(byte* row, int group, out Vector256<float> minimums)
        {
            minimums = default;
            var superBlock = row + (group / 2 * 210);
            var scales = Vector128.CreateScalar(*(ulong*)(superBlock + 192 + (group % 2 * 8))).AsSByte();
            return Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(scales)) * BlockDot.Half(superBlock + 208);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Values(byte* row, int group, int j, Vector256<float> prepared, out Vector256<float> scale)
        {
            var superBlock = row + (group / 2 * 210);
            var h = group % 2;
            var ql = Vector256.Load(superBlock + (h * 64) + (j % 2 * 32));
            var qh = Vector256.Load(superBlock + 128 + (h * 32));
            var low = (j < 2 ? ql : (ql.AsUInt16() >> 4).AsByte()) & Vector256.Create((byte)0x0F);
            var high = (((qh.AsUInt16() >> (2 * j)).AsByte() & Vector256.Create((byte)0x03)).AsUInt16() << 4).AsByte();
            scale = Avx2.PermuteVar8x32(prepared, Vector256.Create(2 * j) + Vector256.Create(0, 0, 0, 0, 1, 1, 1, 1));
            return low | high;
        }
    }
}
