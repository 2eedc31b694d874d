using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Llama.Kernels;

/// <summary>
/// Causal attention of one head for a prefill chunk: <c>count</c> queries at consecutive positions from
/// <c>startPos</c> over their sequence's paged keys and values. The chunk's queries go across vector lanes
/// (scores are held transposed, one row of queries per key), so every key and value is loaded once for the
/// whole chunk and the arithmetic is broadcast-and-FMA with no horizontal sums: with hundreds of cached
/// positions behind a chunk, this is most of a prefill step's attention time.
/// </summary>
internal static unsafe class ChunkAttention
{
    private static readonly int Lanes = Vector<float>.Count;

    /// <summary>Floats of scratch <see cref="Attend"/> needs.</summary>
    public static long ScratchLength(int count, int startPos, int headDim) => (long)Stride(count) * (headDim + startPos + count + 2);

    /// <param name="queries">Row t of the chunk's queries at <c>queries + t · queryStride</c>.</param>
    /// <param name="keys">The cache's keys offset to this head's features; position j in row blocks[j / blockSize] × blockSize + j % blockSize.</param>
    /// <param name="values">The cache's values, laid out as the keys.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats.</param>
    /// <param name="results">Row t of the output at <c>results + t · resultStride</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend(
        float* queries, int queryStride, int count, int startPos, float* keys, float* values, int rowStride, int headDim,
        int[] blocks, int blockSize, float scale, float* scratch, float* results, int resultStride)
    {
        var stride = Stride(count);
        var length = startPos + count;
        var transposed = scratch;
        var scores = transposed + ((long)headDim * stride);
        var max = scores + ((long)length * stride);
        var sum = max + stride;

        Transpose(queries, queryStride, count, headDim, stride, scale, transposed);
        Scores(transposed, stride, keys, rowStride, headDim, blocks, blockSize, length, scores);
        // Query t sees keys 0..startPos + t: the chunk's later keys are hidden from its earlier queries.
        for (var j = startPos + 1; j < length; j++)
        {
            new Span<float>(scores + ((long)j * stride), j - startPos).Fill(float.NegativeInfinity);
        }

        Softmax(scores, length, stride, max, sum);
        Weighted(scores, stride, count, length, values, rowStride, headDim, blocks, blockSize, results, resultStride);
        for (var t = 0; t < count; t++)
        {
            var row = new Span<float>(results + ((long)t * resultStride), headDim);
            TensorPrimitives.Multiply(row, 1f / sum[t], row);
        }
    }

    /// <summary>Queries per key row, rounded up to whole vectors; the padding lanes hold zero queries and are never read back.</summary>
    private static int Stride(int count) => (count + Lanes - 1) / Lanes * Lanes;

    /// <summary>transposed[c · stride + t] = scale · q_t[c], padding lanes zero.</summary>
    private static void Transpose(float* queries, int queryStride, int count, int headDim, int stride, float scale, float* transposed)
    {
        new Span<float>(transposed, headDim * stride).Clear();
        for (var t = 0; t < count; t++)
        {
            var q = queries + ((long)t * queryStride);
            for (var c = 0; c < headDim; c++)
            {
                transposed[((long)c * stride) + t] = q[c] * scale;
            }
        }
    }

    /// <summary>scores[j · stride + t] = q_t · k_j, four keys at a time (four independent FMA chains per query vector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores(float* transposed, int stride, float* keys, int rowStride, int headDim, int[] blocks, int blockSize, int length, float* scores)
    {
        for (var start = 0; start < length; start += blockSize)
        {
            var block = keys + ((long)blocks[start / blockSize] * blockSize * rowStride);
            var inBlock = Math.Min(blockSize, length - start);
            var i = 0;
            for (; i + 4 <= inBlock; i += 4)
            {
                float* k0 = block + ((long)i * rowStride), k1 = k0 + rowStride, k2 = k1 + rowStride, k3 = k2 + rowStride;
                var s = scores + ((long)(start + i) * stride);
                for (var t = 0; t < stride; t += Lanes)
                {
                    Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    var q = transposed + t;
                    for (var c = 0; c < headDim; c++, q += stride)
                    {
                        var qc = Unsafe.ReadUnaligned<Vector<float>>(q);
                        a0 = Vector.FusedMultiplyAdd(new Vector<float>(k0[c]), qc, a0);
                        a1 = Vector.FusedMultiplyAdd(new Vector<float>(k1[c]), qc, a1);
                        a2 = Vector.FusedMultiplyAdd(new Vector<float>(k2[c]), qc, a2);
                        a3 = Vector.FusedMultiplyAdd(new Vector<float>(k3[c]), qc, a3);
                    }

                    Unsafe.WriteUnaligned(s + t, a0);
                    Unsafe.WriteUnaligned(s + stride + t, a1);
                    Unsafe.WriteUnaligned(s + (2L * stride) + t, a2);
                    Unsafe.WriteUnaligned(s + (3L * stride) + t, a3);
                }
            }

            for (; i < inBlock; i++)
            {
                var k = block + ((long)i * rowStride);
                var s = scores + ((long)(start + i) * stride);
                for (var t = 0; t < stride; t += Lanes)
                {
                    var a = Vector<float>.Zero;
                    var q = transposed + t;
                    for (var c = 0; c < headDim; c++, q += stride)
                    {
                        a = Vector.FusedMultiplyAdd(new Vector<float>(k[c]), Unsafe.ReadUnaligned<Vector<float>>(q), a);
                    }

                    Unsafe.WriteUnaligned(s + t, a);
                }
            }
        }
    }

    /// <summary>Each query's scores become exp(score − max), a key row at a time; <paramref name="sum"/> gets each query's total.</summary>
    private static void Softmax(float* scores, int length, int stride, float* max, float* sum)
    {
        var maxRow = new Span<float>(max, stride);
        var sumRow = new Span<float>(sum, stride);
        maxRow.Fill(float.NegativeInfinity);
        sumRow.Clear();
        for (var j = 0; j < length; j++)
        {
            TensorPrimitives.Max(maxRow, new ReadOnlySpan<float>(scores + ((long)j * stride), stride), maxRow);
        }

        for (var j = 0; j < length; j++)
        {
            var row = new Span<float>(scores + ((long)j * stride), stride);
            TensorPrimitives.Subtract(row, maxRow, row);
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Add(sumRow, row, sumRow);
        }
    }

    /// <summary>
    /// result_t = Σ_j p[j, t] · v_j (unnormalized), two queries at a time over four vectors of features, so each
    /// loaded value vector feeds two FMAs; features past the last whole vector go one by one. For an odd count the
    /// last pair's second query is a padding lane, computed and not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Weighted(
        float* p, int stride, int count, int length, float* values, int rowStride, int headDim, int[] blocks, int blockSize, float* results, int resultStride)
    {
        for (var t = 0; t < count; t += 2)
        {
            var second = t + 1 < count;
            var r0 = results + ((long)t * resultStride);
            var r1 = r0 + resultStride;
            var feature = 0;
            for (; feature + (4 * Lanes) <= headDim; feature += 4 * Lanes)
            {
                WeightedTile(p + t, stride, length, values + feature, rowStride, blocks, blockSize, r0 + feature, second ? r1 + feature : null);
            }

            for (; feature < headDim; feature++)
            {
                WeightedFeature(p + t, stride, length, values + feature, rowStride, blocks, blockSize, r0 + feature, second ? r1 + feature : null);
            }
        }
    }

    /// <summary>Four vectors of features for two queries: eight accumulators held across every position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedTile(float* p, int stride, int length, float* values, int rowStride, int[] blocks, int blockSize, float* r0, float* r1)
    {
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        for (var start = 0; start < length; start += blockSize)
        {
            var block = values + ((long)blocks[start / blockSize] * blockSize * rowStride);
            var inBlock = Math.Min(blockSize, length - start);
            var pj = p + ((long)start * stride);
            for (var i = 0; i < inBlock; i++, pj += stride)
            {
                var v = block + ((long)i * rowStride);
                Vector<float> p0 = new(pj[0]), p1 = new(pj[1]);
                var v0 = Unsafe.ReadUnaligned<Vector<float>>(v);
                var v1 = Unsafe.ReadUnaligned<Vector<float>>(v + Lanes);
                var v2 = Unsafe.ReadUnaligned<Vector<float>>(v + (2 * Lanes));
                var v3 = Unsafe.ReadUnaligned<Vector<float>>(v + (3 * Lanes));
                a0 = Vector.FusedMultiplyAdd(v0, p0, a0);
                a1 = Vector.FusedMultiplyAdd(v1, p0, a1);
                a2 = Vector.FusedMultiplyAdd(v2, p0, a2);
                a3 = Vector.FusedMultiplyAdd(v3, p0, a3);
                b0 = Vector.FusedMultiplyAdd(v0, p1, b0);
                b1 = Vector.FusedMultiplyAdd(v1, p1, b1);
                b2 = Vector.FusedMultiplyAdd(v2, p1, b2);
                b3 = Vector.FusedMultiplyAdd(v3, p1, b3);
            }
        }

        Unsafe.WriteUnaligned(r0, a0);
        Unsafe.WriteUnaligned(r0 + Lanes, a1);
        Unsafe.WriteUnaligned(r0 + (2 * Lanes), a2);
        Unsafe.WriteUnaligned(r0 + (3 * Lanes), a3);
        if (r1 != null)
        {
            Unsafe.WriteUnaligned(r1, b0);
            Unsafe.WriteUnaligned(r1 + Lanes, b1);
            Unsafe.WriteUnaligned(r1 + (2 * Lanes), b2);
            Unsafe.WriteUnaligned(r1 + (3 * Lanes), b3);
        }
    }

    /// <summary>One feature for two queries (head sizes that are not a multiple of four vectors).</summary>
    private static void WeightedFeature(float* p, int stride, int length, float* values, int rowStride, int[] blocks, int blockSize, float* r0, float* r1)
    {
        float a = 0, b = 0;
        for (var j = 0; j < length; j++)
        {
            var v = values[(((long)blocks[j / blockSize] * blockSize) + (j % blockSize)) * rowStride];
            a += p[(long)j * stride] * v;
            b += p[((long)j * stride) + 1] * v;
        }

        *r0 = a;
        if (r1 != null)
        {
            *r1 = b;
        }
    }
}
