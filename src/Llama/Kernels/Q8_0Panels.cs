using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llama.Kernels;

/// <summary>
/// Q8_0 weights repacked in panels of eight rows so that one AVX-VNNI <c>vpdpbusd</c> serves eight rows at once: a
/// panel's block k holds the eight rows' float16 scales, then eight 32-byte groups, group t carrying bytes 4t..4t+3
/// of each row's block (plus 128, so unsigned). Four bytes of an input broadcast to every lane meet group t, so the
/// eight int32 lanes are the eight rows' partial sums and stay apart: no horizontal sums, and one float conversion
/// and multiply-add per block serves eight rows. The offset comes back out by starting each block's sums at minus 128
/// times the input block's sum (its two half sums). A panel takes the bytes its eight rows took (8 × 34 per block).
/// </summary>
internal readonly unsafe struct Q8_0Panels : IPanels
{
    private const int Rows = PanelMatrix.Rows;

    private const int Groups = 8;

    private const int Values = Rows * sizeof(ushort);

    private const int PanelBlockBytes = Values + (Groups * 32);

    public static long PanelBytes(int cols) => (long)(cols / Q8Rows.Block) * PanelBlockBytes;

    public static void Pack(byte* source, int cols, byte* target, int from, int to)
    {
        var blocks = cols / Q8Rows.Block;
        var rowBytes = WeightType.Q8_0.RowBytes(cols);
        for (var p = from; p < to; p++)
        {
            var panel = target + ((long)p * blocks * PanelBlockBytes);
            for (var k = 0; k < blocks; k++)
            {
                var output = panel + ((long)k * PanelBlockBytes);
                for (var j = 0; j < Rows; j++)
                {
                    var block = source + (((long)p * Rows) + j) * rowBytes + (k * 34);
                    ((ushort*)output)[j] = *(ushort*)block;
                    for (var t = 0; t < Groups; t++)
                    {
                        *(uint*)(output + Values + (t * 32) + (j * 4)) = *(uint*)(block + 2 + (t * 4)) ^ 0x80808080u;
                    }
                }
            }
        }
    }

    /// <summary>Each block's eight float16 scales widened to float32.</summary>
    public static int PreparedBytes(int cols) => cols / Q8Rows.Block * Rows * sizeof(float);

    public static void Prepare(byte* panel, int cols, byte* prepared)
    {
        for (var k = 0; k < cols / Q8Rows.Block; k++)
        {
            PanelMatrix.Halves(panel + ((long)k * PanelBlockBytes)).Store((float*)prepared + (k * Rows));
        }
    }

    public static void Four(byte* panel, byte* prepared, PanelInputs x, int b, float* output, int outputStride) =>
        Four(panel, (float*)prepared, x.Blocks, x.Cols, x.Values(b), x.Scales(b), x.HalfSums(b), output, outputStride);

    public static void One(byte* panel, PanelInputs x, int b, float* output) =>
        One(panel, x.Blocks, x.Values(b), x.Scales(b), x.HalfSums(b), output);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Four(byte* panel, float* scales, int blocks, int cols, sbyte* a, float* d, int* halves, float* output, int outputStride)
    {
        sbyte* a0 = a, a1 = a + cols, a2 = a1 + cols, a3 = a2 + cols;
        float* d0 = d, d1 = d + blocks, d2 = d1 + blocks, d3 = d2 + blocks;
        int* m0 = halves, m1 = halves + (2 * blocks), m2 = m1 + (2 * blocks), m3 = m2 + (2 * blocks);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (var k = 0; k < blocks; k++)
        {
            var block = panel + ((long)k * PanelBlockBytes);
            var z0 = Vector256.Create(-128 * (m0[2 * k] + m0[(2 * k) + 1]));
            var z1 = Vector256.Create(-128 * (m1[2 * k] + m1[(2 * k) + 1]));
            var z2 = Vector256.Create(-128 * (m2[2 * k] + m2[(2 * k) + 1]));
            var z3 = Vector256.Create(-128 * (m3[2 * k] + m3[(2 * k) + 1]));
            var at = k * Q8Rows.Block;
            // Even groups into z, odd into y: eight independent sums keep the chains of dependent vpdpbusd short.
            Vector256<int> y0 = default, y1 = default, y2 = default, y3 = default;
            for (var t = 0; t < Groups; t += 2)
            {
                var w = Vector256.Load(block + Values + (t * 32));
                var v = Vector256.Load(block + Values + (t * 32) + 32);
                var c = at + (t * 4);
                z0 = AvxVnni.MultiplyWideningAndAdd(z0, w, Vector256.Create(*(int*)(a0 + c)).AsSByte());
                z1 = AvxVnni.MultiplyWideningAndAdd(z1, w, Vector256.Create(*(int*)(a1 + c)).AsSByte());
                z2 = AvxVnni.MultiplyWideningAndAdd(z2, w, Vector256.Create(*(int*)(a2 + c)).AsSByte());
                z3 = AvxVnni.MultiplyWideningAndAdd(z3, w, Vector256.Create(*(int*)(a3 + c)).AsSByte());
                y0 = AvxVnni.MultiplyWideningAndAdd(y0, v, Vector256.Create(*(int*)(a0 + c + 4)).AsSByte());
                y1 = AvxVnni.MultiplyWideningAndAdd(y1, v, Vector256.Create(*(int*)(a1 + c + 4)).AsSByte());
                y2 = AvxVnni.MultiplyWideningAndAdd(y2, v, Vector256.Create(*(int*)(a2 + c + 4)).AsSByte());
                y3 = AvxVnni.MultiplyWideningAndAdd(y3, v, Vector256.Create(*(int*)(a3 + c + 4)).AsSByte());
            }

            var scale = Vector256.Load(scales + (k * Rows));
            s0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z0 + y0), scale * Vector256.Create(d0[k]), s0);
            s1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z1 + y1), scale * Vector256.Create(d1[k]), s1);
            s2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z2 + y2), scale * Vector256.Create(d2[k]), s2);
            s3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z3 + y3), scale * Vector256.Create(d3[k]), s3);
        }

        s0.Store(output);
        s1.Store(output + outputStride);
        s2.Store(output + (2 * outputStride));
        s3.Store(output + (3 * outputStride));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void One(byte* panel, int blocks, sbyte* a, float* d, int* halves, float* output)
    {
        Vector256<float> s = default;
        for (var k = 0; k < blocks; k++)
        {
            var block = panel + ((long)k * PanelBlockBytes);
            var z = Vector256.Create(-128 * (halves[2 * k] + halves[(2 * k) + 1]));
            var at = a + (k * Q8Rows.Block);
            for (var t = 0; t < Groups; t++)
            {
                z = AvxVnni.MultiplyWideningAndAdd(z, Vector256.Load(block + Values + (t * 32)), Vector256.Create(*(int*)(at + (t * 4))).AsSByte());
            }

            s = Fma.MultiplyAdd(Avx.ConvertToVector256Single(z), PanelMatrix.Halves(block) * Vector256.Create(d[k]), s);
        }

        s.Store(output);
    }
}
