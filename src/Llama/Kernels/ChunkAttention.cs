using System.Numerics;
using System.Runtime.CompilerServices;

namespace Llama.Kernels;

/// <summary>
/// Causal attention of one head for a prefill chunk: <c>count</c> queries at consecutive positions from
/// <c>startPos</c> over their sequence's paged keys and values. The chunk's queries go across vector lanes
/// (scores are held transposed, one row of queries per key), so every key and value is loaded once for the
/// whole chunk and the arithmetic is broadcast-and-FMA with no horizontal sums: with hundreds of cached
/// positions behind a chunk, this is most of a prefill step's attention time. A 16-bit cache is widened a block
/// at a time into a float tile that stays in L1 while the chunk's queries go over it.
/// </summary>
internal static unsafe class ChunkAttention<T>
    where T : unmanaged, IKvElement
{
    private static readonly int Lanes = Vector<float>.Count;

    /// <summary>Floats of scratch <see cref="Attend"/> needs.</summary>
    public static long ScratchLength(int count, int startPos, int headDim, int blockSize) =>
        ((long)Stride(count) * (headDim + startPos + count + 1)) + ((long)blockSize * headDim);

    /// <param name="queries">Row t of the chunk's queries at <c>queries + t · queryStride</c>.</param>
    /// <param name="keys">The cache's keys offset to this head's features; position j in row blocks[j / blockSize] × blockSize + j % blockSize, rows <paramref name="rowStride"/> elements apart.</param>
    /// <param name="values">The cache's values, laid out as the keys.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats.</param>
    /// <param name="results">Row t of the output at <c>results + t · resultStride</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attend(
        float* queries, int queryStride, int count, int startPos, byte* keys, byte* values, int rowStride, int headDim,
        int[] blocks, int blockSize, float scale, float* scratch, float* results, int resultStride)
    {
        var stride = Stride(count);
        var length = startPos + count;
        var transposed = scratch;
        var scores = transposed + ((long)headDim * stride);
        var sum = scores + ((long)length * stride);
        var tile = sum + stride;

        Transpose(queries, queryStride, count, headDim, stride, scale, transposed);
        Scores(transposed, stride, keys, rowStride, headDim, blocks, blockSize, length, tile, scores);
        // Query t sees keys 0..startPos + t: the chunk's later keys are hidden from its earlier queries.
        for (var j = startPos + 1; j < length; j++)
        {
            new Span<float>(scores + ((long)j * stride), j - startPos).Fill(float.NegativeInfinity);
        }

        Softmax(scores, length, stride, sum);
        // The transposed queries are spent: their room takes the transposed weighted sums.
        Weighted(scores, stride, length, values, rowStride, headDim, blocks, blockSize, tile, transposed);
        for (var t = 0; t < count; t++)
        {
            var result = results + ((long)t * resultStride);
            var inverse = 1f / sum[t];
            for (var c = 0; c < headDim; c++)
            {
                result[c] = transposed[((long)c * stride) + t] * inverse;
            }
        }
    }

    /// <summary>Queries per key row, rounded up to whole vectors; the padding lanes hold zero queries and are never read back.</summary>
    private static int Stride(int count) => (count + Lanes - 1) / Lanes * Lanes;

    /// <summary>
    /// The first <paramref name="rows"/> positions of a cache block as floats, <paramref name="floatStride"/> apart: the
    /// cache itself for float32, else this head's features of the block widened into <paramref name="tile"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Block(byte* cache, int block, int blockSize, int rowStride, int headDim, int rows, float* tile, out int floatStride)
    {
        var first = cache + ((long)block * blockSize * rowStride * T.Size);
        if (typeof(T) == typeof(KvFloat32))
        {
            floatStride = rowStride;
            return (float*)first;
        }

        for (var i = 0; i < rows; i++)
        {
            T.ToFloat(first + ((long)i * rowStride * T.Size), tile + ((long)i * headDim), headDim);
        }

        floatStride = headDim;
        return tile;
    }

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

    /// <summary>scores[j · stride + t] = q_t · k_j, four keys at a time against one or two vectors of queries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores(float* transposed, int stride, byte* keys, int cacheStride, int headDim, int[] blocks, int blockSize, int length, float* tile, float* scores)
    {
        for (var start = 0; start < length; start += blockSize)
        {
            var inBlock = Math.Min(blockSize, length - start);
            var block = Block(keys, blocks[start / blockSize], blockSize, cacheStride, headDim, inBlock, tile, out var rowStride);
            var i = 0;
            for (; i + 4 <= inBlock; i += 4)
            {
                float* k0 = block + ((long)i * rowStride), k1 = k0 + rowStride, k2 = k1 + rowStride, k3 = k2 + rowStride;
                var s = scores + ((long)(start + i) * stride);
                var t = 0;
                for (; t + (2 * Lanes) <= stride; t += 2 * Lanes)
                {
                    FourKeysTwoVectors(transposed + t, stride, headDim, k0, k1, k2, k3, s + t);
                }

                if (t < stride)
                {
                    FourKeysOneVector(transposed + t, stride, headDim, k0, k1, k2, k3, s + t);
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

    /// <summary>Four keys against two vectors of queries: eight independent sums, each key element loaded once for both.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourKeysTwoVectors(float* q, int stride, int headDim, float* k0, float* k1, float* k2, float* k3, float* s)
    {
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        for (var c = 0; c < headDim; c++, q += stride)
        {
            var u = Unsafe.ReadUnaligned<Vector<float>>(q);
            var v = Unsafe.ReadUnaligned<Vector<float>>(q + Lanes);
            var e = new Vector<float>(k0[c]);
            a0 = Vector.FusedMultiplyAdd(e, u, a0);
            b0 = Vector.FusedMultiplyAdd(e, v, b0);
            e = new Vector<float>(k1[c]);
            a1 = Vector.FusedMultiplyAdd(e, u, a1);
            b1 = Vector.FusedMultiplyAdd(e, v, b1);
            e = new Vector<float>(k2[c]);
            a2 = Vector.FusedMultiplyAdd(e, u, a2);
            b2 = Vector.FusedMultiplyAdd(e, v, b2);
            e = new Vector<float>(k3[c]);
            a3 = Vector.FusedMultiplyAdd(e, u, a3);
            b3 = Vector.FusedMultiplyAdd(e, v, b3);
        }

        StoreFourRows(s, stride, a0, a1, a2, a3);
        StoreFourRows(s + Lanes, stride, b0, b1, b2, b3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourKeysOneVector(float* q, int stride, int headDim, float* k0, float* k1, float* k2, float* k3, float* s)
    {
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var c = 0; c < headDim; c++, q += stride)
        {
            var u = Unsafe.ReadUnaligned<Vector<float>>(q);
            a0 = Vector.FusedMultiplyAdd(new Vector<float>(k0[c]), u, a0);
            a1 = Vector.FusedMultiplyAdd(new Vector<float>(k1[c]), u, a1);
            a2 = Vector.FusedMultiplyAdd(new Vector<float>(k2[c]), u, a2);
            a3 = Vector.FusedMultiplyAdd(new Vector<float>(k3[c]), u, a3);
        }

        StoreFourRows(s, stride, a0, a1, a2, a3);
    }

    /// <summary>Each query's scores become exp(score − max), and <paramref name="sum"/> gets each query's total: vectors of queries at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Softmax(float* scores, int length, int stride, float* sum)
    {
        var end = scores + ((long)length * stride);
        for (var t = 0; t < stride; t += Lanes)
        {
            var max = new Vector<float>(float.NegativeInfinity);
            for (var row = scores + t; row < end; row += stride)
            {
                max = Vector.Max(max, Unsafe.ReadUnaligned<Vector<float>>(row));
            }

            var total = Vector<float>.Zero;
            for (var row = scores + t; row < end; row += stride)
            {
                var e = Vector.Exp(Unsafe.ReadUnaligned<Vector<float>>(row) - max);
                Unsafe.WriteUnaligned(row, e);
                total += e;
            }

            Unsafe.WriteUnaligned(sum + t, total);
        }
    }

    /// <summary>
    /// weighted[c · stride + t] = Σ_j p[j, t] · v_j[c] (unnormalized), transposed like the scores. A cache block at a time,
    /// so its values and probabilities stay in L1 while every feature goes over them: four features against two vectors
    /// of queries, each value element loaded once for both.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Weighted(float* p, int stride, int length, byte* values, int cacheStride, int headDim, int[] blocks, int blockSize, float* tile, float* weighted)
    {
        new Span<float>(weighted, headDim * stride).Clear();
        for (var start = 0; start < length; start += blockSize)
        {
            var rows = Math.Min(blockSize, length - start);
            var block = Block(values, blocks[start / blockSize], blockSize, cacheStride, headDim, rows, tile, out var rowStride);
            var pj = p + ((long)start * stride);
            var feature = 0;
            for (; feature + 4 <= headDim; feature += 4)
            {
                var w = weighted + ((long)feature * stride);
                var t = 0;
                for (; t + (2 * Lanes) <= stride; t += 2 * Lanes)
                {
                    FourFeaturesTwoVectors(pj + t, stride, rows, block + feature, rowStride, w + t);
                }

                if (t < stride)
                {
                    FourFeaturesOneVector(pj + t, stride, rows, block + feature, rowStride, w + t);
                }
            }

            for (; feature < headDim; feature++)
            {
                for (var t = 0; t < stride; t += Lanes)
                {
                    var a = Unsafe.ReadUnaligned<Vector<float>>(weighted + ((long)feature * stride) + t);
                    for (var i = 0; i < rows; i++)
                    {
                        a = Vector.FusedMultiplyAdd(new Vector<float>(block[((long)i * rowStride) + feature]), Unsafe.ReadUnaligned<Vector<float>>(pj + ((long)i * stride) + t), a);
                    }

                    Unsafe.WriteUnaligned(weighted + ((long)feature * stride) + t, a);
                }
            }
        }
    }

    /// <summary>Adds <paramref name="rows"/> positions' share to four features of two vectors of queries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourFeaturesTwoVectors(float* p, int stride, int rows, float* v, int rowStride, float* w)
    {
        var a0 = Unsafe.ReadUnaligned<Vector<float>>(w);
        var a1 = Unsafe.ReadUnaligned<Vector<float>>(w + stride);
        var a2 = Unsafe.ReadUnaligned<Vector<float>>(w + (2L * stride));
        var a3 = Unsafe.ReadUnaligned<Vector<float>>(w + (3L * stride));
        var b0 = Unsafe.ReadUnaligned<Vector<float>>(w + Lanes);
        var b1 = Unsafe.ReadUnaligned<Vector<float>>(w + stride + Lanes);
        var b2 = Unsafe.ReadUnaligned<Vector<float>>(w + (2L * stride) + Lanes);
        var b3 = Unsafe.ReadUnaligned<Vector<float>>(w + (3L * stride) + Lanes);
        for (var i = 0; i < rows; i++, v += rowStride, p += stride)
        {
            var u = Unsafe.ReadUnaligned<Vector<float>>(p);
            var x = Unsafe.ReadUnaligned<Vector<float>>(p + Lanes);
            var e = new Vector<float>(v[0]);
            a0 = Vector.FusedMultiplyAdd(e, u, a0);
            b0 = Vector.FusedMultiplyAdd(e, x, b0);
            e = new Vector<float>(v[1]);
            a1 = Vector.FusedMultiplyAdd(e, u, a1);
            b1 = Vector.FusedMultiplyAdd(e, x, b1);
            e = new Vector<float>(v[2]);
            a2 = Vector.FusedMultiplyAdd(e, u, a2);
            b2 = Vector.FusedMultiplyAdd(e, x, b2);
            e = new Vector<float>(v[3]);
            a3 = Vector.FusedMultiplyAdd(e, u, a3);
            b3 = Vector.FusedMultiplyAdd(e, x, b3);
        }

        StoreFourRows(w, stride, a0, a1, a2, a3);
        StoreFourRows(w + Lanes, stride, b0, b1, b2, b3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourFeaturesOneVector(float* p, int stride, int rows, float* v, int rowStride, float* w)
    {
        var a0 = Unsafe.ReadUnaligned<Vector<float>>(w);
        var a1 = Unsafe.ReadUnaligned<Vector<float>>(w + stride);
        var a2 = Unsafe.ReadUnaligned<Vector<float>>(w + (2L * stride));
        var a3 = Unsafe.ReadUnaligned<Vector<float>>(w + (3L * stride));
        for (var i = 0; i < rows; i++, v += rowStride, p += stride)
        {
            var u = Unsafe.ReadUnaligned<Vector<float>>(p);
            a0 = Vector.FusedMultiplyAdd(new Vector<float>(v[0]), u, a0);
            a1 = Vector.FusedMultiplyAdd(new Vector<float>(v[1]), u, a1);
            a2 = Vector.FusedMultiplyAdd(new Vector<float>(v[2]), u, a2);
            a3 = Vector.FusedMultiplyAdd(new Vector<float>(v[3]), u, a3);
        }

        StoreFourRows(w, stride, a0, a1, a2, a3);
    }

    /// <summary>One vector into each of four consecutive rows of a transposed matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFourRows(float* at, int stride, Vector<float> r0, Vector<float> r1, Vector<float> r2, Vector<float> r3)
    {
        Unsafe.WriteUnaligned(at, r0);
        Unsafe.WriteUnaligned(at + stride, r1);
        Unsafe.WriteUnaligned(at + (2L * stride), r2);
        Unsafe.WriteUnaligned(at + (3L * stride), r3);
    }
}
