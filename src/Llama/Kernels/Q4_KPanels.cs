using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llama.Kernels;

/// <summary>
/// Q4_K weights repacked in panels of eight rows for AVX-VNNI (see <see cref="PanelMatrix"/>). A panel's super-block
/// (256 columns, 8 × 144 bytes like its rows) holds the eight rows' float16 d, then their float16 dmin, then the
/// six-bit scales and mins of the eight sub-blocks re-encoded so that eight rows' worth widen with a few vector
/// operations (64 bytes [sub-block × 8 + row]: scale | the min's top two bits × 64; 32 bytes [pair × 8 + row]: the
/// mins' low four bits, the even sub-block's in the low nibble), then the nibbles: for sub-block pair p and group t a
/// 32-byte vector whose row-r lanes are that row's bytes 32p + 4t .. + 3, low nibbles sub-block 2p, high nibbles 2p + 1.
/// The nibbles are unsigned and the inputs signed, so <c>vpdpbusd</c> takes them as they are; a value is
/// d·scale·q − dmin·min, and the min's share is dmin·min times the input block's scaled sum.
/// </summary>
internal readonly unsafe struct Q4_KPanels : IPanels
{
    private const int Rows = PanelMatrix.Rows;

    private const int SuperBlock = 256;

    private const int SourceBytes = 144;

    private const int PanelBytesPerSuperBlock = Rows * SourceBytes;

    private const int Mins = 16;

    private const int Scales = 32;

    private const int MinLows = 96;

    private const int Nibbles = 128;

    /// <summary>A super-block's 16 factors of eight floats, as <see cref="Prepare"/> writes them.</summary>
    private const int PreparedPerSuperBlock = 16 * 32;

    public static void Pack(byte* source, int cols, byte* target, int from, int to)
    {
        var superBlocks = cols / SuperBlock;
        var rowBytes = WeightType.Q4_K.RowBytes(cols);
        for (var p = from; p < to; p++)
        {
            for (var k = 0; k < superBlocks; k++)
            {
                var output = target + (((long)p * superBlocks) + k) * PanelBytesPerSuperBlock;
                for (var r = 0; r < Rows; r++)
                {
                    var block = source + ((((long)p * Rows) + r) * rowBytes) + (k * SourceBytes);
                    ((ushort*)output)[r] = *(ushort*)block;
                    ((ushort*)(output + Mins))[r] = *(ushort*)(block + 2);
                    var scales = new ReadOnlySpan<byte>(block + 4, 12);
                    for (var pair = 0; pair < 4; pair++)
                    {
                        var (s0, m0) = Dequantize.Q4KScaleMin(scales, 2 * pair);
                        var (s1, m1) = Dequantize.Q4KScaleMin(scales, (2 * pair) + 1);
                        output[Scales + (2 * pair * Rows) + r] = (byte)(s0 | (m0 >> 4 << 6));
                        output[Scales + (((2 * pair) + 1) * Rows) + r] = (byte)(s1 | (m1 >> 4 << 6));
                        output[MinLows + (pair * Rows) + r] = (byte)((m0 & 15) | ((m1 & 15) << 4));
                        for (var t = 0; t < 8; t++)
                        {
                            *(uint*)(output + Nibbles + (((pair * 8) + t) * 32) + (r * 4)) = *(uint*)(block + 16 + (pair * 32) + (t * 4));
                        }
                    }
                }
            }
        }
    }

    public static long PanelBytes(int cols) => (long)(cols / SuperBlock) * PanelBytesPerSuperBlock;

    /// <summary>Per super-block: the 16 factors (<see cref="Factors"/>) for the eight rows.</summary>
    public static int PreparedBytes(int cols) => cols / SuperBlock * PreparedPerSuperBlock;

    public static void Prepare(byte* panel, int cols, byte* prepared)
    {
        for (var k = 0; k < cols / SuperBlock; k++)
        {
            Factors(panel + ((long)k * PanelBytesPerSuperBlock), (Vector256<float>*)(prepared + (k * PreparedPerSuperBlock)));
        }
    }

    public static void Four(byte* panel, byte* prepared, PanelInputs x, int b, float* output, int outputStride) =>
        Four(panel, prepared, x.Cols / SuperBlock, x.Cols, x.Values(b), x.Scales(b), x.ScaledSums(b), output, outputStride);

    public static void One(byte* panel, PanelInputs x, int b, float* output) =>
        One(panel, x.Cols / SuperBlock, x.Values(b), x.Scales(b), x.ScaledSums(b), output);

    /// <summary>The eight rows' d·scale of each sub-block into factors[0..8) and their dmin·min into factors[8..16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Factors(byte* block, Vector256<float>* factors)
    {
        var d = PanelMatrix.Halves(block);
        var dmin = PanelMatrix.Halves(block + Mins);
        for (var j = 0; j < 8; j++)
        {
            var scale = Avx2.ConvertToVector256Int32(block + Scales + (j * Rows));
            var low = Avx2.ConvertToVector256Int32(block + MinLows + ((j >> 1) * Rows)) >>> ((j & 1) * 4);
            var min = ((scale >>> 2) & Vector256.Create(0x30)) | (low & Vector256.Create(15));
            factors[j] = Avx.ConvertToVector256Single(scale & Vector256.Create(63)) * d;
            factors[8 + j] = Avx.ConvertToVector256Single(min) * dmin;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Four(byte* panel, byte* prepared, int superBlocks, int cols, sbyte* a, float* d, float* sums, float* output, int outputStride)
    {
        var blocks = cols / Q8Rows.Block;
        sbyte* a0 = a, a1 = a + cols, a2 = a1 + cols, a3 = a2 + cols;
        float* d0 = d, d1 = d + blocks, d2 = d1 + blocks, d3 = d2 + blocks;
        float* m0 = sums, m1 = sums + blocks, m2 = m1 + blocks, m3 = m2 + blocks;
        var nibble = Vector256.Create((byte)15);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (var k = 0; k < superBlocks; k++)
        {
            var block = panel + ((long)k * PanelBytesPerSuperBlock);
            var factors = (Vector256<float>*)(prepared + (k * PreparedPerSuperBlock));
            for (var pair = 0; pair < 4; pair++)
            {
                // Each loaded vector serves both sub-blocks of the pair for the four inputs: eight sums (z the even
                // sub-block, y the odd), which fit the 32 vector registers AVX-512 hosts give the JIT (98 -> 110
                // GMAC/s measured against one sub-block at a time).
                var q = block + Nibbles + (pair * 256);
                var at = (k * SuperBlock) + (pair * 64);
                Vector256<int> z0 = default, z1 = default, z2 = default, z3 = default;
                Vector256<int> y0 = default, y1 = default, y2 = default, y3 = default;
                for (var t = 0; t < 8; t++)
                {
                    var w = Vector256.Load(q + (t * 32));
                    var even = w & nibble;
                    var odd = (w.AsUInt16() >>> 4).AsByte() & nibble;
                    var c = at + (t * 4);
                    z0 = AvxVnni.MultiplyWideningAndAdd(z0, even, Vector256.Create(*(int*)(a0 + c)).AsSByte());
                    z1 = AvxVnni.MultiplyWideningAndAdd(z1, even, Vector256.Create(*(int*)(a1 + c)).AsSByte());
                    z2 = AvxVnni.MultiplyWideningAndAdd(z2, even, Vector256.Create(*(int*)(a2 + c)).AsSByte());
                    z3 = AvxVnni.MultiplyWideningAndAdd(z3, even, Vector256.Create(*(int*)(a3 + c)).AsSByte());
                    y0 = AvxVnni.MultiplyWideningAndAdd(y0, odd, Vector256.Create(*(int*)(a0 + c + 32)).AsSByte());
                    y1 = AvxVnni.MultiplyWideningAndAdd(y1, odd, Vector256.Create(*(int*)(a1 + c + 32)).AsSByte());
                    y2 = AvxVnni.MultiplyWideningAndAdd(y2, odd, Vector256.Create(*(int*)(a2 + c + 32)).AsSByte());
                    y3 = AvxVnni.MultiplyWideningAndAdd(y3, odd, Vector256.Create(*(int*)(a3 + c + 32)).AsSByte());
                }

                var b = (k * 8) + (2 * pair);
                var scale = factors[2 * pair];
                var min = factors[8 + (2 * pair)];
                s0 = Fma.MultiplyAddNegated(min, Vector256.Create(m0[b]), Fma.MultiplyAdd(Avx.ConvertToVector256Single(z0), scale * Vector256.Create(d0[b]), s0));
                s1 = Fma.MultiplyAddNegated(min, Vector256.Create(m1[b]), Fma.MultiplyAdd(Avx.ConvertToVector256Single(z1), scale * Vector256.Create(d1[b]), s1));
                s2 = Fma.MultiplyAddNegated(min, Vector256.Create(m2[b]), Fma.MultiplyAdd(Avx.ConvertToVector256Single(z2), scale * Vector256.Create(d2[b]), s2));
                s3 = Fma.MultiplyAddNegated(min, Vector256.Create(m3[b]), Fma.MultiplyAdd(Avx.ConvertToVector256Single(z3), scale * Vector256.Create(d3[b]), s3));
                scale = factors[(2 * pair) + 1];
                min = factors[9 + (2 * pair)];
                b++;
                s0 = Fma.MultiplyAddNegated(min, Vector256.Create(m0[b]), Fma.MultiplyAdd(Avx.ConvertToVector256Single(y0), scale * Vector256.Create(d0[b]), s0));
                s1 = Fma.MultiplyAddNegated(min, Vector256.Create(m1[b]), Fma.MultiplyAdd(Avx.ConvertToVector256Single(y1), scale * Vector256.Create(d1[b]), s1));
                s2 = Fma.MultiplyAddNegated(min, Vector256.Create(m2[b]), Fma.MultiplyAdd(Avx.ConvertToVector256Single(y2), scale * Vector256.Create(d2[b]), s2));
                s3 = Fma.MultiplyAddNegated(min, Vector256.Create(m3[b]), Fma.MultiplyAdd(Avx.ConvertToVector256Single(y3), scale * Vector256.Create(d3[b]), s3));
            }
        }

        s0.Store(output);
        s1.Store(output + outputStride);
        s2.Store(output + (2 * outputStride));
        s3.Store(output + (3 * outputStride));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void One(byte* panel, int superBlocks, sbyte* a, float* d, float* sums, float* output)
    {
        var factors = stackalloc Vector256<float>[16];
        var nibble = Vector256.Create((byte)15);

        // Four sums (even and odd sub-blocks' products and minimums) keep the chains of dependent multiply-adds short.
        Vector256<float> even = default, odd = default, evenMins = default, oddMins = default;
        for (var k = 0; k < superBlocks; k++)
        {
            var block = panel + ((long)k * PanelBytesPerSuperBlock);
            Factors(block, factors);
            for (var pair = 0; pair < 4; pair++)
            {
                // The pair's weight vectors serve both sub-blocks: low nibbles the even one, high nibbles the odd one.
                // Even and odd groups add up apart, halving each chain of dependent vpdpbusd (one input has no other
                // input's work to fill the wait with; 52 -> 62 GMAC/s measured).
                var q = block + Nibbles + (pair * 256);
                var at = a + (k * SuperBlock) + (pair * 64);
                Vector256<int> low = default, high = default, nextLow = default, nextHigh = default;
                for (var t = 0; t < 8; t += 2)
                {
                    var w = Vector256.Load(q + (t * 32));
                    low = AvxVnni.MultiplyWideningAndAdd(low, w & nibble, Vector256.Create(*(int*)(at + (t * 4))).AsSByte());
                    high = AvxVnni.MultiplyWideningAndAdd(high, (w.AsUInt16() >>> 4).AsByte() & nibble, Vector256.Create(*(int*)(at + 32 + (t * 4))).AsSByte());
                    var next = Vector256.Load(q + 32 + (t * 32));
                    nextLow = AvxVnni.MultiplyWideningAndAdd(nextLow, next & nibble, Vector256.Create(*(int*)(at + 4 + (t * 4))).AsSByte());
                    nextHigh = AvxVnni.MultiplyWideningAndAdd(nextHigh, (next.AsUInt16() >>> 4).AsByte() & nibble, Vector256.Create(*(int*)(at + 36 + (t * 4))).AsSByte());
                }

                low += nextLow;
                high += nextHigh;
                var b = (k * 8) + (2 * pair);
                even = Fma.MultiplyAdd(Avx.ConvertToVector256Single(low), factors[2 * pair] * Vector256.Create(d[b]), even);
                odd = Fma.MultiplyAdd(Avx.ConvertToVector256Single(high), factors[(2 * pair) + 1] * Vector256.Create(d[b + 1]), odd);
                evenMins = Fma.MultiplyAdd(factors[8 + (2 * pair)], Vector256.Create(sums[b]), evenMins);
                oddMins = Fma.MultiplyAdd(factors[9 + (2 * pair)], Vector256.Create(sums[b + 1]), oddMins);
            }
        }

        var s = even + odd - (evenMins + oddMins);
        s.Store(output);
    }
}
