using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Llama.Kernels;

/// <summary>
/// One query head against its keys and values in the paged KV cache: scores = scale · q·K_j, then the
/// probability-weighted sum of V_j. Position j lives at row blocks[j / blockSize] × blockSize + j % blockSize,
/// rows <paramref name="rowStride"/> floats apart. Keys go four positions at a time (four independent FMA chains
/// sharing each query load); values accumulate in registers across all positions, 64 features at a time.
/// </summary>
internal static unsafe class HeadAttention
{
    private const int Tile = 64;

    /// <param name="keys">The cache's keys offset to this head's features.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(float* query, float* keys, int rowStride, int headDim, int[] blocks, int blockSize, int length, float scale, float* scores)
    {
        var vectorized = Vector256.IsHardwareAccelerated && headDim % Vector256<float>.Count == 0;
        for (var start = 0; start < length; start += blockSize)
        {
            var block = keys + ((long)blocks[start / blockSize] * blockSize * rowStride);
            var count = Math.Min(blockSize, length - start);
            var i = 0;
            for (; vectorized && i + 4 <= count; i += 4)
            {
                float* k0 = block + ((long)i * rowStride), k1 = k0 + rowStride, k2 = k1 + rowStride, k3 = k2 + rowStride;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (var c = 0; c < headDim; c += Vector256<float>.Count)
                {
                    var q = Vector256.Load(query + c);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(k0 + c), q, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Load(k1 + c), q, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Load(k2 + c), q, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Load(k3 + c), q, a3);
                }

                var s = scores + start + i;
                s[0] = Vector256.Sum(a0) * scale;
                s[1] = Vector256.Sum(a1) * scale;
                s[2] = Vector256.Sum(a2) * scale;
                s[3] = Vector256.Sum(a3) * scale;
            }

            for (; i < count; i++)
            {
                scores[start + i] = SmallVectors.Dot(query, block + ((long)i * rowStride), headDim) * scale;
            }
        }
    }

    /// <param name="values">The cache's values offset to this head's features.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Weighted(float* probabilities, float* values, int rowStride, int headDim, int[] blocks, int blockSize, int length, float* result)
    {
        if (!Vector256.IsHardwareAccelerated || headDim % Vector256<float>.Count != 0)
        {
            new Span<float>(result, headDim).Clear();
            for (var j = 0; j < length; j++)
            {
                var row = ((long)blocks[j / blockSize] * blockSize) + (j % blockSize);
                SmallVectors.MultiplyAdd(result, values + (row * rowStride), probabilities[j], headDim);
            }

            return;
        }

        var feature = 0;
        for (; feature + Tile <= headDim; feature += Tile)
        {
            WeightedTile(probabilities, values + feature, rowStride, blocks, blockSize, length, result + feature);
        }

        for (; feature < headDim; feature += Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            for (var start = 0; start < length; start += blockSize)
            {
                var block = values + feature + ((long)blocks[start / blockSize] * blockSize * rowStride);
                var count = Math.Min(blockSize, length - start);
                for (var i = 0; i < count; i++)
                {
                    acc = Vector256.FusedMultiplyAdd(Vector256.Load(block + ((long)i * rowStride)), Vector256.Create(probabilities[start + i]), acc);
                }
            }

            acc.Store(result + feature);
        }
    }

    /// <summary>64 features of the weighted sum, held in eight registers across every position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedTile(float* probabilities, float* values, int rowStride, int[] blocks, int blockSize, int length, float* result)
    {
        Vector256<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default, o6 = default, o7 = default;
        for (var start = 0; start < length; start += blockSize)
        {
            var block = values + ((long)blocks[start / blockSize] * blockSize * rowStride);
            var count = Math.Min(blockSize, length - start);
            for (var i = 0; i < count; i++)
            {
                var v = block + ((long)i * rowStride);
                var p = Vector256.Create(probabilities[start + i]);
                o0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), p, o0);
                o1 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 8), p, o1);
                o2 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 16), p, o2);
                o3 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 24), p, o3);
                o4 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 32), p, o4);
                o5 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 40), p, o5);
                o6 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 48), p, o6);
                o7 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 56), p, o7);
            }
        }

        o0.Store(result);
        o1.Store(result + 8);
        o2.Store(result + 16);
        o3.Store(result + 24);
        o4.Store(result + 32);
        o5.Store(result + 40);
        o6.Store(result + 48);
        o7.Store(result + 56);
    }
}
