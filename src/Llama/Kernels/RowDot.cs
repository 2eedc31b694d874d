using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llama.Kernels;

/// <summary>
/// Dot products of consecutive weight rows with one input vector, four rows per pass: each input chunk is
/// loaded once for four rows and four independent accumulators keep the FMA units busy, so the loop runs
/// at memory speed.
/// </summary>
internal static unsafe class RowDot
{
    /// <summary>
    /// output[b * outputStride + r] = W[r] · x[b * cols ..] for rows [from, to) of the row-major matrix W with
    /// <paramref name="cols"/> columns and each of <paramref name="n"/> input vectors. Rows go in blocks of four,
    /// every vector in turn, so a block is read from memory once and from cache for the other vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(float* weights, int cols, float* x, int n, float* output, int outputStride, int from, int to)
    {
        var row = from;
        var wide = Vector512.IsHardwareAccelerated && cols % Vector512<float>.Count == 0;
        if (wide || (Vector256.IsHardwareAccelerated && cols % Vector256<float>.Count == 0))
        {
            for (; row + 4 <= to; row += 4)
            {
                var block = weights + ((long)row * cols);
                var b = 0;
                if (wide)
                {
                    // Four vectors at a time as well: one vector each per weight load kept a batch's rows at the
                    // one-row kernel's cost per row (each weight block re-read from L1 per row, 4 FMAs per 5 loads).
                    // The next four rows are fetched while the tiles work on these (from cache after the first tile):
                    // four rows streamed at once, the hardware prefetcher alone leaves each block's first tile
                    // waiting on memory.
                    var next = row + 8 <= to ? block + (4 * cols) : block;
                    for (; b + 4 <= n; b += 4)
                    {
                        FourByFour512(block, cols, x + (b * cols), output + (b * outputStride) + row, outputStride, next);
                    }
                }
                else
                {
                    // Several vectors at a time: each weight load feeds several FMAs, and more independent sums keep
                    // both FMA units busy.
                    for (; b + 3 <= n; b += 3)
                    {
                        FourByThree256(block, cols, x + (b * cols), output + (b * outputStride) + row, outputStride);
                    }

                    for (; b + 2 <= n; b += 2)
                    {
                        FourByTwo256(block, cols, x + (b * cols), output + (b * outputStride) + row, outputStride);
                    }
                }

                for (; b < n; b++)
                {
                    if (wide)
                    {
                        Four512(block, cols, x + (b * cols), output + (b * outputStride) + row);
                    }
                    else
                    {
                        Four256(block, cols, x + (b * cols), output + (b * outputStride) + row);
                    }
                }
            }
        }

        for (; row < to; row++)
        {
            var w = new ReadOnlySpan<float>(weights + ((long)row * cols), cols);
            for (var b = 0; b < n; b++)
            {
                output[(b * outputStride) + row] = TensorPrimitives.Dot(w, new ReadOnlySpan<float>(x + (b * cols), cols));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four512(float* w, int cols, float* x, float* output)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        float* w1 = w + cols, w2 = w1 + cols, w3 = w2 + cols;
        for (var i = 0; i < cols; i += Vector512<float>.Count)
        {
            var v = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), v, a3);
        }

        Store(output, a0, a1, a2, a3);
    }

    /// <summary>
    /// Four rows against four consecutive input vectors: sixteen sums, each in the same order as <see cref="Four512"/>;
    /// the four rows at <paramref name="next"/> are prefetched on the way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourByFour512(float* w, int cols, float* x, float* output, int outputStride, float* next)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        float* w1 = w + cols, w2 = w1 + cols, w3 = w2 + cols, y = x + cols, z = y + cols, u = z + cols;
        for (var i = 0; i < cols; i += Vector512<float>.Count)
        {
            Sse.Prefetch0(next + i);
            Sse.Prefetch0(next + cols + i);
            Sse.Prefetch0(next + (2 * cols) + i);
            Sse.Prefetch0(next + (3 * cols) + i);
            var p = Vector512.Load(x + i);
            var q = Vector512.Load(y + i);
            var t = Vector512.Load(z + i);
            var v = Vector512.Load(u + i);
            var r = Vector512.Load(w + i);
            a0 = Vector512.FusedMultiplyAdd(r, p, a0);
            b0 = Vector512.FusedMultiplyAdd(r, q, b0);
            c0 = Vector512.FusedMultiplyAdd(r, t, c0);
            d0 = Vector512.FusedMultiplyAdd(r, v, d0);
            r = Vector512.Load(w1 + i);
            a1 = Vector512.FusedMultiplyAdd(r, p, a1);
            b1 = Vector512.FusedMultiplyAdd(r, q, b1);
            c1 = Vector512.FusedMultiplyAdd(r, t, c1);
            d1 = Vector512.FusedMultiplyAdd(r, v, d1);
            r = Vector512.Load(w2 + i);
            a2 = Vector512.FusedMultiplyAdd(r, p, a2);
            b2 = Vector512.FusedMultiplyAdd(r, q, b2);
            c2 = Vector512.FusedMultiplyAdd(r, t, c2);
            d2 = Vector512.FusedMultiplyAdd(r, v, d2);
            r = Vector512.Load(w3 + i);
            a3 = Vector512.FusedMultiplyAdd(r, p, a3);
            b3 = Vector512.FusedMultiplyAdd(r, q, b3);
            c3 = Vector512.FusedMultiplyAdd(r, t, c3);
            d3 = Vector512.FusedMultiplyAdd(r, v, d3);
        }

        Store(output, a0, a1, a2, a3);
        Store(output + outputStride, b0, b1, b2, b3);
        Store(output + (2 * outputStride), c0, c1, c2, c3);
        Store(output + (3 * outputStride), d0, d1, d2, d3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four256(float* w, int cols, float* x, float* output)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        float* w1 = w + cols, w2 = w1 + cols, w3 = w2 + cols;
        for (var i = 0; i < cols; i += Vector256<float>.Count)
        {
            var v = Vector256.Load(x + i);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), v, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + i), v, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + i), v, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + i), v, a3);
        }

        Store(output, a0, a1, a2, a3);
    }

    /// <summary>Four rows against two consecutive input vectors; each sum in the same order as <see cref="Four256"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourByTwo256(float* w, int cols, float* x, float* output, int outputStride)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        float* w1 = w + cols, w2 = w1 + cols, w3 = w2 + cols, y = x + cols;
        for (var i = 0; i < cols; i += Vector256<float>.Count)
        {
            var u = Vector256.Load(x + i);
            var v = Vector256.Load(y + i);
            var r0 = Vector256.Load(w + i);
            var r1 = Vector256.Load(w1 + i);
            var r2 = Vector256.Load(w2 + i);
            var r3 = Vector256.Load(w3 + i);
            a0 = Vector256.FusedMultiplyAdd(r0, u, a0);
            b0 = Vector256.FusedMultiplyAdd(r0, v, b0);
            a1 = Vector256.FusedMultiplyAdd(r1, u, a1);
            b1 = Vector256.FusedMultiplyAdd(r1, v, b1);
            a2 = Vector256.FusedMultiplyAdd(r2, u, a2);
            b2 = Vector256.FusedMultiplyAdd(r2, v, b2);
            a3 = Vector256.FusedMultiplyAdd(r3, u, a3);
            b3 = Vector256.FusedMultiplyAdd(r3, v, b3);
        }

        Store(output, a0, a1, a2, a3);
        Store(output + outputStride, b0, b1, b2, b3);
    }

    /// <summary>Four rows against three consecutive input vectors: twelve sums, each in the same order as <see cref="Four256"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourByThree256(float* w, int cols, float* x, float* output, int outputStride)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        float* w1 = w + cols, w2 = w1 + cols, w3 = w2 + cols, y = x + cols, z = y + cols;
        for (var i = 0; i < cols; i += Vector256<float>.Count)
        {
            var u = Vector256.Load(x + i);
            var v = Vector256.Load(y + i);
            var t = Vector256.Load(z + i);
            var r = Vector256.Load(w + i);
            a0 = Vector256.FusedMultiplyAdd(r, u, a0);
            b0 = Vector256.FusedMultiplyAdd(r, v, b0);
            c0 = Vector256.FusedMultiplyAdd(r, t, c0);
            r = Vector256.Load(w1 + i);
            a1 = Vector256.FusedMultiplyAdd(r, u, a1);
            b1 = Vector256.FusedMultiplyAdd(r, v, b1);
            c1 = Vector256.FusedMultiplyAdd(r, t, c1);
            r = Vector256.Load(w2 + i);
            a2 = Vector256.FusedMultiplyAdd(r, u, a2);
            b2 = Vector256.FusedMultiplyAdd(r, v, b2);
            c2 = Vector256.FusedMultiplyAdd(r, t, c2);
            r = Vector256.Load(w3 + i);
            a3 = Vector256.FusedMultiplyAdd(r, u, a3);
            b3 = Vector256.FusedMultiplyAdd(r, v, b3);
            c3 = Vector256.FusedMultiplyAdd(r, t, c3);
        }

        Store(output, a0, a1, a2, a3);
        Store(output + outputStride, b0, b1, b2, b3);
        Store(output + (2 * outputStride), c0, c1, c2, c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* output, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3)
    {
        output[0] = Vector512.Sum(s0);
        output[1] = Vector512.Sum(s1);
        output[2] = Vector512.Sum(s2);
        output[3] = Vector512.Sum(s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* output, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
    {
        output[0] = Vector256.Sum(s0);
        output[1] = Vector256.Sum(s1);
        output[2] = Vector256.Sum(s2);
        output[3] = Vector256.Sum(s3);
    }
}
