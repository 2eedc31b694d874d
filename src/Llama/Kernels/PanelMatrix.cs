using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Llama.Kernels;

/// <summary>
/// Block-stored matrices repacked, at load, in panels of <see cref="Rows"/> rows for the AVX-VNNI kernels: within a
/// panel the eight rows' bytes interleave four at a time, so one 256-bit <c>vpdpbusd</c> multiplies eight rows by
/// the same four input bytes and leaves each row's sum in its own lane. A panel takes exactly the bytes its rows took,
/// in the same place, so the matrix keeps its shape and size; decode (one input) and prefill chunks and batches
/// (many) run the same kernels.
/// </summary>
internal static unsafe class PanelMatrix
{
    public const int Rows = 8;

    /// <summary>
    /// How many inputs a pass over the panels takes: about 32 KiB of their 8-bit values, so they stay in the L1 cache
    /// while every panel meets them, instead of being read again from further out for each panel; a multiple of the
    /// kernels' four-input tiles.
    /// </summary>
    public static int InputsPerPass(int cols) => Math.Max(4, (32 << 10) / cols / 4 * 4);

    /// <summary>Whether a matrix of <paramref name="rows"/> rows stored as <paramref name="type"/> is packed on this CPU.</summary>
    public static bool Supports(WeightType type, long rows) =>
        AvxVnni.IsSupported && Fma.IsSupported && rows % Rows == 0 && type is WeightType.Q8_0 or WeightType.Q4_K or WeightType.Q6_K;

    /// <summary>
    /// A new matrix holding <paramref name="blocks"/> ([rows, bytes per row] of <paramref name="type"/>) in panels. The
    /// source's pages are handed back to the system, since only the panels are read from now on: a view of a
    /// checkpoint file's mapping then reads from the file again if it is ever touched, instead of staying resident
    /// beside its copy.
    /// </summary>
    public static Tensor Pack(Tensor blocks, WeightType type)
    {
        var (rows, rowBytes) = (blocks.shape[0], blocks.shape[1]);
        var cols = (int)(rowBytes / type.BlockBytes() * type.BlockElements());
        var packed = empty([rows, rowBytes], ScalarType.Byte, CPU);
        var source = CpuWeight.Address(blocks, ScalarType.Byte);
        var target = CpuWeight.Address(packed, ScalarType.Byte);
        var panels = (int)(rows / Rows);
        switch (type)
        {
            case WeightType.Q8_0:
                Q8_0Panels.Pack(source, cols, target, 0, panels);
                break;
            case WeightType.Q4_K:
                Q4_KPanels.Pack(source, cols, target, 0, panels);
                break;
            case WeightType.Q6_K:
                Q6_KPanels.Pack(source, cols, target, 0, panels);
                break;
            default:
                throw new ArgumentException($"No panels for {type}.", nameof(type));
        }

        MemoryPages.Release(source, rows * rowBytes);
        return packed;
    }

    /// <summary>
    /// output[b * outputStride + r] = W[r] · x_b for the rows of panels [from, to) of a matrix of
    /// <paramref name="type"/> packed by <see cref="Pack"/>, and every row of <paramref name="x"/>.
    /// </summary>
    public static void Run(WeightType type, byte* packed, Q8Rows x, float* output, int outputStride, int from, int to)
    {
        fixed (sbyte* values = x.Values)
        fixed (float* scales = x.Scales)
        fixed (float* scaledSums = x.ScaledSums)
        fixed (int* halfSums = x.HalfSums)
        {
            var inputs = new PanelInputs(values, scales, scaledSums, halfSums, x.Cols);
            switch (type)
            {
                case WeightType.Q8_0:
                    Run<Q8_0Panels>(packed, inputs, x.N, output, outputStride, from, to);
                    break;
                case WeightType.Q4_K:
                    Run<Q4_KPanels>(packed, inputs, x.N, output, outputStride, from, to);
                    break;
                case WeightType.Q6_K:
                    Run<Q6_KPanels>(packed, inputs, x.N, output, outputStride, from, to);
                    break;
                default:
                    throw new ArgumentException($"No panels for {type}.", nameof(type));
            }
        }
    }

    /// <summary>Every panel against one pass of inputs, then the next pass: four-input tiles, then the inputs left over.</summary>
    private static void Run<T>(byte* packed, PanelInputs x, int n, float* output, int outputStride, int from, int to)
        where T : struct, IPanels
    {
        var panelBytes = T.PanelBytes(x.Cols);
        var pass = InputsPerPass(x.Cols);
        var prepared = Prepared(T.PreparedBytes(x.Cols));
        for (var first = 0; first < n; first += pass)
        {
            var last = Math.Min(n, first + pass);
            // In the first pass, each tile fetches its share of the next panel from memory while the panel in hand
            // is worked on: the hardware prefetcher alone leaves each panel's first tile waiting on it.
            var tiles = (last - first) / 4;
            var share = first == 0 && tiles > 1 ? (panelBytes + (64 * tiles) - 1) / (64 * tiles) * 64 : 0;
            for (var p = from; p < to; p++)
            {
                var panel = packed + (p * panelBytes);
                var next = panel + panelBytes;
                var end = p + 1 < to ? next + panelBytes : next;
                var b = first;
                if (b + 4 <= last)
                {
                    T.Prepare(panel, x.Cols, prepared);
                }

                for (; b + 4 <= last; b += 4)
                {
                    T.Four(panel, prepared, x, b, output + (b * outputStride) + (p * Rows), outputStride);
                    for (var stop = next + share < end ? next + share : end; next < stop; next += 64)
                    {
                        Sse.Prefetch0(next);
                    }
                }

                for (; b < last; b++)
                {
                    T.One(panel, x, b, output + (b * outputStride) + (p * Rows));
                }
            }
        }
    }

    [ThreadStatic]
    private static byte[]? t_prepared;

    /// <summary>This thread's 32-byte aligned room for what a format's four-input kernel derives from one panel, kept for its next products.</summary>
    private static byte* Prepared(int bytes) => PinnedScratch.Aligned(ref t_prepared, bytes, 32);

    /// <summary>Eight float16 values widened to float32 exactly, subnormals, infinities and NaNs included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Halves(byte* p)
    {
        // The exponent and mantissa shifted into float's places and rescaled by 2^112 give normals and subnormals;
        // a float16 infinity or NaN (exponent all ones) takes float's all-ones exponent.
        var h = Avx2.ConvertToVector256Int32((ushort*)p).AsUInt32();
        var magnitude = ((h & Vector256.Create(0x7FFFu)) << 13).AsSingle() * Vector256.Create(5.192297e33f);
        var special = Vector256.Equals(h & Vector256.Create(0x7C00u), Vector256.Create(0x7C00u)) & Vector256.Create(0x7F800000u);
        return (magnitude.AsUInt32() | special | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }
}
