using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Llama.Kernels;

/// <summary>
/// One query head against its keys and values in the paged KV cache: scores = scale · q·K_j, then the
/// probability-weighted sum of V_j. Position j lives at row blocks[j / blockSize] × blockSize + j % blockSize,
/// rows <paramref name="rowStride"/> elements apart, each element a <typeparamref name="T"/> widened to float as it is
/// loaded. Keys go four positions at a time (four independent FMA chains sharing each query load); values accumulate
/// in registers across all positions, 64 features at a time.
/// </summary>
internal static unsafe class HeadAttention<T>
    where T : unmanaged, IKvElement
{
    private const int Tile = 64;

    /// <param name="keys">The cache's keys offset to this head's features.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(float* query, byte* keys, int rowStride, int headDim, int[] blocks, int blockSize, int length, float scale, float* scores)
    {
        var vectorized = Vector256.IsHardwareAccelerated && headDim % Vector256<float>.Count == 0;
        long row = (long)rowStride * T.Size;
        for (var start = 0; start < length; start += blockSize)
        {
            var block = keys + ((long)blocks[start / blockSize] * blockSize * row);
            var count = Math.Min(blockSize, length - start);
            var i = 0;
            for (; vectorized && i + 4 <= count; i += 4)
            {
                byte* k0 = block + (i * row), k1 = k0 + row, k2 = k1 + row, k3 = k2 + row;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (var c = 0; c < headDim; c += Vector256<float>.Count)
                {
                    var q = Vector256.Load(query + c);
                    var at = c * T.Size;
                    a0 = Vector256.FusedMultiplyAdd(T.Load8(k0 + at), q, a0);
                    a1 = Vector256.FusedMultiplyAdd(T.Load8(k1 + at), q, a1);
                    a2 = Vector256.FusedMultiplyAdd(T.Load8(k2 + at), q, a2);
                    a3 = Vector256.FusedMultiplyAdd(T.Load8(k3 + at), q, a3);
                }

                var s = scores + start + i;
                s[0] = Vector256.Sum(a0) * scale;
                s[1] = Vector256.Sum(a1) * scale;
                s[2] = Vector256.Sum(a2) * scale;
                s[3] = Vector256.Sum(a3) * scale;
            }

            for (; i < count; i++)
            {
                var k = block + (i * row);
                var sum = 0f;
                for (var c = 0; c < headDim; c++)
                {
                    sum += query[c] * T.Load(k + (c * T.Size));
                }

                scores[start + i] = sum * scale;
            }
        }
    }

    /// <param name="values">The cache's values offset to this head's features.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Weighted(float* probabilities, byte* values, int rowStride, int headDim, int[] blocks, int blockSize, int length, float* result)
    {
        long row = (long)rowStride * T.Size;
        if (!Vector256.IsHardwareAccelerated || headDim % Vector256<float>.Count != 0)
        {
            new Span<float>(result, headDim).Clear();
            for (var j = 0; j < length; j++)
            {
                var v = values + ((((long)blocks[j / blockSize] * blockSize) + (j % blockSize)) * row);
                for (var c = 0; c < headDim; c++)
                {
                    result[c] += probabilities[j] * T.Load(v + (c * T.Size));
                }
            }

            return;
        }

        var feature = 0;
        for (; feature + Tile <= headDim; feature += Tile)
        {
            WeightedTile(probabilities, values + (feature * T.Size), row, blocks, blockSize, length, result + feature);
        }

        for (; feature < headDim; feature += Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            for (var start = 0; start < length; start += blockSize)
            {
                var block = values + (feature * T.Size) + ((long)blocks[start / blockSize] * blockSize * row);
                var count = Math.Min(blockSize, length - start);
                for (var i = 0; i < count; i++)
                {
                    acc = Vector256.FusedMultiplyAdd(T.Load8(block + (i * row)), Vector256.Create(probabilities[start + i]), acc);
                }
            }

            acc.Store(result + feature);
        }
    }

    /// <summary>64 features of the weighted sum, held in eight registers across every position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedTile(float* probabilities, byte* values, long row, int[] blocks, int blockSize, int length, float* result)
    {
        const int step = 8;
        Vector256<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default, o6 = default, o7 = default;
        for (var start = 0; start < length; start += blockSize)
        {
            var block = values + ((long)blocks[start / blockSize] * blockSize * row);
            var count = Math.Min(blockSize, length - start);
            for (var i = 0; i < count; i++)
            {
                var v = block + (i * row);
                var p = Vector256.Create(probabilities[start + i]);
                o0 = Vector256.FusedMultiplyAdd(T.Load8(v), p, o0);
                o1 = Vector256.FusedMultiplyAdd(T.Load8(v + (step * T.Size)), p, o1);
                o2 = Vector256.FusedMultiplyAdd(T.Load8(v + (2 * step * T.Size)), p, o2);
                o3 = Vector256.FusedMultiplyAdd(T.Load8(v + (3 * step * T.Size)), p, o3);
                o4 = Vector256.FusedMultiplyAdd(T.Load8(v + (4 * step * T.Size)), p, o4);
                o5 = Vector256.FusedMultiplyAdd(T.Load8(v + (5 * step * T.Size)), p, o5);
                o6 = Vector256.FusedMultiplyAdd(T.Load8(v + (6 * step * T.Size)), p, o6);
                o7 = Vector256.FusedMultiplyAdd(T.Load8(v + (7 * step * T.Size)), p, o7);
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
