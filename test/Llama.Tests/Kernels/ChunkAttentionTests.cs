using Llama.Kernels;

namespace Llama.Tests.Kernels;

public unsafe class ChunkAttentionTests
{
    /// <summary>
    /// Head sizes below, at and past whole vectors; chunks alone, after a history, odd and even, across blocks; every
    /// KV cache type. Against a double-precision computation on the values the cache holds (1e-5), and on the float32
    /// values before a 16-bit cache rounded them (<paramref name="tolerance"/>: what 11 or 8 significant bits allow).
    /// </summary>
    [Theory]
    [InlineData(8, 2, 0, 5, "float32", 1e-5)]
    [InlineData(64, 1, 9, 7, "float32", 1e-5)]
    [InlineData(64, 3, 40, 16, "float32", 1e-5)]
    [InlineData(128, 2, 3, 1, "float32", 1e-5)]
    [InlineData(24, 2, 17, 13, "float32", 1e-5)]
    [InlineData(36, 1, 0, 33, "float32", 1e-5)]
    [InlineData(8, 2, 0, 5, "float16", 2e-3)]
    [InlineData(64, 3, 40, 16, "float16", 2e-3)]
    [InlineData(36, 1, 0, 33, "float16", 2e-3)]
    [InlineData(64, 3, 40, 16, "bfloat16", 2e-2)]
    [InlineData(24, 2, 17, 13, "bfloat16", 2e-2)]
    public void A_chunk_attends_causally_as_plain_softmax_attention(int headDim, int heads, int startPos, int count, string dtype, double tolerance)
    {
        const int BlockSize = 4;
        var random = new Random((headDim * 1000) + (startPos * 10) + count);
        var length = startPos + count;
        var rowStride = heads * headDim;
        var blockCount = ((length + BlockSize - 1) / BlockSize) + 3;
        float Next() => (float)random.NextDouble() - 0.5f;
        var keys = Enumerable.Range(0, blockCount * BlockSize * rowStride).Select(_ => Next() * 4).ToArray();
        var values = Enumerable.Range(0, keys.Length).Select(_ => Next()).ToArray();
        // Queries in rows of the whole model width, as the forward pass holds them; results likewise.
        var queries = Enumerable.Range(0, count * rowStride).Select(_ => Next() * 4).ToArray();
        // Blocks out of order, as a paged cache hands them out.
        var blocks = Enumerable.Range(0, blockCount).OrderBy(_ => random.Next()).ToArray();
        var head = heads - 1;
        var scale = 1f / MathF.Sqrt(headDim);
        long Row(int j) => ((((long)blocks[j / BlockSize] * BlockSize) + (j % BlockSize)) * rowStride) + (head * headDim);

        var results = new float[count * rowStride];
        var untouched = Next();
        Array.Fill(results, untouched);
        var (keyBytes, storedKeys) = KvTestData.Store(keys, dtype);
        var (valueBytes, storedValues) = KvTestData.Store(values, dtype);
        var scratch = new float[ChunkAttention<KvFloat32>.ScratchLength(count, startPos, headDim, BlockSize)];
        fixed (byte* k = keyBytes, v = valueBytes)
        fixed (float* q = queries, o = results, s = scratch)
        {
            var attend = dtype switch
            {
                "float16" => (AttendKernel)Attend<KvFloat16>,
                "bfloat16" => Attend<KvBFloat16>,
                _ => Attend<KvFloat32>,
            };
            attend(q + (head * headDim), rowStride, count, startPos, k, v, head * headDim, headDim, blocks, BlockSize, scale, s, o + (head * headDim));
        }

        Check(storedKeys, storedValues, 1e-5);
        Check(keys, values, tolerance);
        void Check(float[] keys, float[] values, double tolerance)
        {
            for (var t = 0; t < count; t++)
            {
                var seen = startPos + t + 1;
                var scores = Enumerable.Range(0, seen)
                    .Select(j => Enumerable.Range(0, headDim).Sum(c => (double)queries[(t * rowStride) + (head * headDim) + c] * keys[Row(j) + c]) * scale).ToArray();
                var max = scores.Max();
                var weights = scores.Select(x => Math.Exp(x - max)).ToArray();
                var total = weights.Sum();
                for (var c = 0; c < headDim; c++)
                {
                    var expected = Enumerable.Range(0, seen).Sum(j => weights[j] / total * values[Row(j) + c]);
                    var actual = results[(t * rowStride) + (head * headDim) + c];
                    Assert.True(Math.Abs(expected - actual) <= tolerance, $"query {t}, feature {c}: expected {expected}, got {actual} (tolerance {tolerance})");
                }

                // Other heads' features are left alone.
                for (var c = 0; c < head * headDim; c++)
                {
                    Assert.Equal(untouched, results[(t * rowStride) + c]);
                }
            }
        }
    }

    private delegate void AttendKernel(float* queries, int rowStride, int count, int startPos, byte* keys, byte* values, int offset, int headDim,
        int[] blocks, int blockSize, float scale, float* scratch, float* results);

    private static void Attend<T>(float* queries, int rowStride, int count, int startPos, byte* keys, byte* values, int offset, int headDim,
        int[] blocks, int blockSize, float scale, float* scratch, float* results)
        where T : unmanaged, IKvElement =>
        ChunkAttention<T>.Attend(queries, rowStride, count, startPos, keys + (offset * T.Size), values + (offset * T.Size), rowStride, headDim,
            blocks, blockSize, scale, scratch, results, rowStride);
}
