using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llama.Kernels;

/// <summary>
/// Q6_K weights repacked in panels of eight rows for AVX-VNNI (see <see cref="PanelMatrix"/>). A panel's super-block
/// (256 columns, 8 × 210 bytes like its rows) holds the eight rows' float16 d, then their int8 scales
/// [group of 16 × 8 + row], then the six-bit values: for each half (sub-blocks 4h .. 4h + 3) three sets of eight
/// 32-byte vectors, vector (q, t) carrying in its row-r lanes that row's values 4t .. 4t + 3 of sub-block 4h + q in
/// the low six bits and two bits of sub-block 4h + 3's same values in the top two (bits 2q, 2q + 1). Three of four
/// sub-blocks thus need one mask, and the fourth three shifts. Values are 0..63 standing for −32..31: each group's
/// integer sums start at −32 times the input's sum over those sixteen values, and each group's int8 scale applies to
/// its own sums.
/// </summary>
internal readonly unsafe struct Q6_KPanels : IPanels
{
    private const int Rows = PanelMatrix.Rows;

    private const int SuperBlock = 256;

    private const int SourceBytes = 210;

    private const int PanelBytesPerSuperBlock = Rows * SourceBytes;

    private const int Scales = 16;

    private const int Values = 144;

    /// <summary>Bytes of one half's three sets of eight vectors.</summary>
    private const int HalfBytes = 3 * 8 * 32;

    /// <summary>Where a super-block's two fourth sub-blocks (256 bytes each) follow its 16 factors, and its prepared bytes.</summary>
    private const int FourthOffset = 16 * 32, PreparedPerSuperBlock = FourthOffset + (2 * 256);

    public static void Pack(byte* source, int cols, byte* target, int from, int to)
    {
        var superBlocks = cols / SuperBlock;
        var rowBytes = WeightType.Q6_K.RowBytes(cols);
        var values = stackalloc byte[SuperBlock];
        for (var p = from; p < to; p++)
        {
            for (var k = 0; k < superBlocks; k++)
            {
                var output = target + (((long)p * superBlocks) + k) * PanelBytesPerSuperBlock;
                for (var r = 0; r < Rows; r++)
                {
                    var block = source + ((((long)p * Rows) + r) * rowBytes) + (k * SourceBytes);
                    ((ushort*)output)[r] = *(ushort*)(block + 208);
                    for (var g = 0; g < 16; g++)
                    {
                        output[Scales + (g * Rows) + r] = block[192 + g];
                    }

                    // Values as stored (0..63): in each half of 128, low nibbles and two high bits four ways.
                    for (var half = 0; half < 2; half++)
                    {
                        byte* ql = block + (half * 64), qh = block + 128 + (half * 32), o = values + (half * 128);
                        for (var l = 0; l < 32; l++)
                        {
                            o[l] = (byte)((ql[l] & 0xF) | ((qh[l] & 3) << 4));
                            o[l + 32] = (byte)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
                            o[l + 64] = (byte)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
                            o[l + 96] = (byte)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
                        }
                    }

                    for (var h = 0; h < 2; h++)
                    {
                        var fourth = values + (((4 * h) + 3) * 32);
                        for (var q = 0; q < 3; q++)
                        {
                            var own = values + (((4 * h) + q) * 32);
                            for (var t = 0; t < 8; t++)
                            {
                                for (var i = 0; i < 4; i++)
                                {
                                    var c = (4 * t) + i;
                                    output[Values + (h * HalfBytes) + (((q * 8) + t) * 32) + (r * 4) + i] = (byte)(own[c] | (((fourth[c] >> (2 * q)) & 3) << 6));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public static long PanelBytes(int cols) => (long)(cols / SuperBlock) * PanelBytesPerSuperBlock;

    /// <summary>Per super-block: the 16 groups' d·scale for the eight rows, then each half's fourth sub-block.</summary>
    public static int PreparedBytes(int cols) => cols / SuperBlock * PreparedPerSuperBlock;

    public static void Prepare(byte* panel, int cols, byte* prepared)
    {
        for (var k = 0; k < cols / SuperBlock; k++)
        {
            var block = panel + ((long)k * PanelBytesPerSuperBlock);
            var output = prepared + (k * PreparedPerSuperBlock);
            Factors(block, (Vector256<float>*)output);
            for (var h = 0; h < 2; h++)
            {
                var half = block + Values + (h * HalfBytes);
                for (var t = 0; t < 8; t++)
                {
                    Fourth(Vector256.Load(half + (t * 32)), Vector256.Load(half + 256 + (t * 32)), Vector256.Load(half + 512 + (t * 32)))
                        .Store(output + FourthOffset + (h * 256) + (t * 32));
                }
            }
        }
    }

    public static void Four(byte* panel, byte* prepared, PanelInputs x, int b, float* output, int outputStride) =>
        Four(panel, prepared, x.Cols / SuperBlock, x.Cols, x.Values(b), x.Scales(b), x.HalfSums(b), output, outputStride);

    public static void One(byte* panel, PanelInputs x, int b, float* output) =>
        One(panel, x.Cols / SuperBlock, x.Values(b), x.Scales(b), x.HalfSums(b), output);

    /// <summary>The eight rows' d·scale of each group of sixteen values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Factors(byte* block, Vector256<float>* factors)
    {
        var d = PanelMatrix.Halves(block);
        for (var g = 0; g < 16; g++)
        {
            factors[g] = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32((sbyte*)(block + Scales + (g * Rows)))) * d;
        }
    }

    /// <summary>The fourth sub-block's values from the top two bits of the other three's bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Fourth(Vector256<byte> v0, Vector256<byte> v1, Vector256<byte> v2) =>
        ((v0.AsUInt16() >>> 6).AsByte() & Vector256.Create((byte)0x03))
        | ((v1.AsUInt16() >>> 4).AsByte() & Vector256.Create((byte)0x0C))
        | ((v2.AsUInt16() >>> 2).AsByte() & Vector256.Create((byte)0x30));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Four(byte* panel, byte* prepared, int superBlocks, int cols, sbyte* a, float* d, int* sums, float* output, int outputStride)
    {
        var blocks = cols / Q8Rows.Block;
        sbyte* a0 = a, a1 = a + cols, a2 = a1 + cols, a3 = a2 + cols;
        float* d0 = d, d1 = d + blocks, d2 = d1 + blocks, d3 = d2 + blocks;
        int* m0 = sums, m1 = sums + (2 * blocks), m2 = m1 + (2 * blocks), m3 = m2 + (2 * blocks);
        // The four inputs' group offsets (−32 × sum of sixteen values) for the super-block, each then one broadcast.
        var offsets = stackalloc int[4 * 16];
        var low = Vector256.Create((byte)63);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (var k = 0; k < superBlocks; k++)
        {
            var block = panel + ((long)k * PanelBytesPerSuperBlock);
            var factors = (Vector256<float>*)(prepared + (k * PreparedPerSuperBlock));
            for (var i = 0; i < 16; i += 8)
            {
                (Vector256.Load(m0 + (k * 16) + i) * -32).Store(offsets + i);
                (Vector256.Load(m1 + (k * 16) + i) * -32).Store(offsets + 16 + i);
                (Vector256.Load(m2 + (k * 16) + i) * -32).Store(offsets + 32 + i);
                (Vector256.Load(m3 + (k * 16) + i) * -32).Store(offsets + 48 + i);
            }

            for (var j = 0; j < 8; j++)
            {
                // Three sub-blocks of each half load and mask their own bytes; the fourth was assembled by Prepare.
                var values = (j & 3) < 3
                    ? block + Values + ((j >> 2) * HalfBytes) + ((j & 3) * 256)
                    : prepared + (k * PreparedPerSuperBlock) + FourthOffset + ((j >> 2) * 256);

                // The sub-block's two groups scaled apart, then its input scales once.
                Vector256<float> u0 = default, u1 = default, u2 = default, u3 = default;
                for (var part = 0; part < 2; part++)
                {
                    var group = (2 * j) + part;
                    var z0 = Vector256.Create(offsets[group]);
                    var z1 = Vector256.Create(offsets[16 + group]);
                    var z2 = Vector256.Create(offsets[32 + group]);
                    var z3 = Vector256.Create(offsets[48 + group]);
                    var at = (k * SuperBlock) + (j * Q8Rows.Block) + (part * 16);
                    var v = values + (part * 128);
                    for (var t = 0; t < 16; t += 4)
                    {
                        var w = Vector256.Load(v + (t * 8)) & low;
                        z0 = AvxVnni.MultiplyWideningAndAdd(z0, w, Vector256.Create(*(int*)(a0 + at + t)).AsSByte());
                        z1 = AvxVnni.MultiplyWideningAndAdd(z1, w, Vector256.Create(*(int*)(a1 + at + t)).AsSByte());
                        z2 = AvxVnni.MultiplyWideningAndAdd(z2, w, Vector256.Create(*(int*)(a2 + at + t)).AsSByte());
                        z3 = AvxVnni.MultiplyWideningAndAdd(z3, w, Vector256.Create(*(int*)(a3 + at + t)).AsSByte());
                    }

                    var scale = factors[group];
                    u0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z0), scale, u0);
                    u1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z1), scale, u1);
                    u2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z2), scale, u2);
                    u3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z3), scale, u3);
                }

                var b = (k * 8) + j;
                s0 = Fma.MultiplyAdd(u0, Vector256.Create(d0[b]), s0);
                s1 = Fma.MultiplyAdd(u1, Vector256.Create(d1[b]), s1);
                s2 = Fma.MultiplyAdd(u2, Vector256.Create(d2[b]), s2);
                s3 = Fma.MultiplyAdd(u3, Vector256.Create(d3[b]), s3);
            }
        }

        s0.Store(output);
        s1.Store(output + outputStride);
        s2.Store(output + (2 * outputStride));
        s3.Store(output + (3 * outputStride));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void One(byte* panel, int superBlocks, sbyte* a, float* d, int* sums, float* output)
    {
        var factors = stackalloc Vector256<float>[16];
        var offsets = stackalloc int[16];
        var low = Vector256.Create((byte)63);
        Vector256<float> s = default;
        for (var k = 0; k < superBlocks; k++)
        {
            var block = panel + ((long)k * PanelBytesPerSuperBlock);
            Factors(block, factors);
            (Vector256.Load(sums + (k * 16)) * -32).Store(offsets);
            (Vector256.Load(sums + (k * 16) + 8) * -32).Store(offsets + 8);
            for (var h = 0; h < 2; h++)
            {
                // One pass over a half's vectors gives its four sub-blocks (the three own values and the fourth),
                // first groups of sixteen in z, second groups in y: eight independent sums, so one input's chains of
                // dependent vpdpbusd are short (45 -> 50 GMAC/s measured, 2 groups at a time against one).
                var half = block + Values + (h * HalfBytes);
                var at = a + (k * SuperBlock) + (h * 128);
                var g = h * 8;
                Vector256<int> z0 = Vector256.Create(offsets[g]), z1 = Vector256.Create(offsets[g + 2]), z2 = Vector256.Create(offsets[g + 4]), z3 = Vector256.Create(offsets[g + 6]);
                Vector256<int> y0 = Vector256.Create(offsets[g + 1]), y1 = Vector256.Create(offsets[g + 3]), y2 = Vector256.Create(offsets[g + 5]), y3 = Vector256.Create(offsets[g + 7]);
                for (var t = 0; t < 4; t++)
                {
                    var v0 = Vector256.Load(half + (t * 32));
                    var v1 = Vector256.Load(half + 256 + (t * 32));
                    var v2 = Vector256.Load(half + 512 + (t * 32));
                    var column = at + (t * 4);
                    z0 = AvxVnni.MultiplyWideningAndAdd(z0, v0 & low, Vector256.Create(*(int*)column).AsSByte());
                    z1 = AvxVnni.MultiplyWideningAndAdd(z1, v1 & low, Vector256.Create(*(int*)(column + 32)).AsSByte());
                    z2 = AvxVnni.MultiplyWideningAndAdd(z2, v2 & low, Vector256.Create(*(int*)(column + 64)).AsSByte());
                    z3 = AvxVnni.MultiplyWideningAndAdd(z3, Fourth(v0, v1, v2), Vector256.Create(*(int*)(column + 96)).AsSByte());
                    var x0 = Vector256.Load(half + 128 + (t * 32));
                    var x1 = Vector256.Load(half + 384 + (t * 32));
                    var x2 = Vector256.Load(half + 640 + (t * 32));
                    y0 = AvxVnni.MultiplyWideningAndAdd(y0, x0 & low, Vector256.Create(*(int*)(column + 16)).AsSByte());
                    y1 = AvxVnni.MultiplyWideningAndAdd(y1, x1 & low, Vector256.Create(*(int*)(column + 48)).AsSByte());
                    y2 = AvxVnni.MultiplyWideningAndAdd(y2, x2 & low, Vector256.Create(*(int*)(column + 80)).AsSByte());
                    y3 = AvxVnni.MultiplyWideningAndAdd(y3, Fourth(x0, x1, x2), Vector256.Create(*(int*)(column + 112)).AsSByte());
                }

                var u0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z0), factors[g], Avx.ConvertToVector256Single(y0) * factors[g + 1]);
                var u1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z1), factors[g + 2], Avx.ConvertToVector256Single(y1) * factors[g + 3]);
                var u2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z2), factors[g + 4], Avx.ConvertToVector256Single(y2) * factors[g + 5]);
                var u3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z3), factors[g + 6], Avx.ConvertToVector256Single(y3) * factors[g + 7]);
                var b = (k * 8) + (h * 4);
                s = Fma.MultiplyAdd(u0, Vector256.Create(d[b]), Fma.MultiplyAdd(u1, Vector256.Create(d[b + 1]), s));
                s = Fma.MultiplyAdd(u2, Vector256.Create(d[b + 2]), Fma.MultiplyAdd(u3, Vector256.Create(d[b + 3]), s));
            }
        }

        s.Store(output);
    }
}
