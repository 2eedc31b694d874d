using Llama.Kernels;

namespace Llama.Tests.Kernels;

public unsafe class HeadAttentionTests
{
    /// <summary>
    /// Against a double-precision computation on the values the cache holds (1e-4), and on the float32 values before
    /// a 16-bit cache rounded them: within <paramref name="tolerance"/>, what rounding to 11 (float16) or 8 (bfloat16)
    /// significant bits allows for sums of this many terms.
    /// </summary>
    [Theory]
    [InlineData(8, 1, 3, "float32", 1e-4)]
    [InlineData(24, 2, 37, "float32", 1e-4)]
    [InlineData(64, 3, 50, "float32", 1e-4)]
    [InlineData(128, 2, 19, "float32", 1e-4)]
    [InlineData(8, 1, 3, "float16", 2e-3)]
    [InlineData(24, 2, 37, "float16", 2e-3)]
    [InlineData(64, 3, 50, "float16", 2e-3)]
    [InlineData(128, 2, 19, "float16", 2e-3)]
    [InlineData(20, 1, 9, "float16", 2e-3)]
    [InlineData(64, 3, 50, "bfloat16", 2e-2)]
    [InlineData(128, 2, 19, "bfloat16", 2e-2)]
    [InlineData(20, 1, 9, "bfloat16", 2e-2)]
    public void Paged_scores_and_weighted_values_equal_a_plain_computation(int headDim, int heads, int length, string dtype, double tolerance)
    {
        const int BlockSize = 4;
        var random = new Random(headDim + length);
        var rowStride = heads * headDim;
        var blockCount = ((length + BlockSize - 1) / BlockSize) + 5;
        var keys = Enumerable.Range(0, blockCount * BlockSize * rowStride).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var values = Enumerable.Range(0, keys.Length).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var query = Enumerable.Range(0, headDim).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        // Blocks out of order, as a paged cache hands them out.
        var blocks = Enumerable.Range(0, blockCount).OrderBy(_ => random.Next()).ToArray();
        var head = heads - 1;
        var scale = 1f / MathF.Sqrt(headDim);
        long Row(int j) => ((((long)blocks[j / BlockSize] * BlockSize) + (j % BlockSize)) * rowStride) + (head * headDim);
        var probabilities = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
        double[] ExpectedScores(float[] k) => Enumerable.Range(0, length)
            .Select(j => Enumerable.Range(0, headDim).Sum(c => (double)query[c] * k[Row(j) + c]) * scale).ToArray();
        double[] ExpectedResult(float[] v) => Enumerable.Range(0, headDim)
            .Select(c => Enumerable.Range(0, length).Sum(j => (double)probabilities[j] * v[Row(j) + c])).ToArray();

        var (keyBytes, storedKeys) = KvTestData.Store(keys, dtype);
        var (valueBytes, storedValues) = KvTestData.Store(values, dtype);
        var scores = new float[length];
        var result = new float[headDim];
        fixed (byte* k = keyBytes, v = valueBytes)
        fixed (float* q = query, s = scores, p = probabilities, o = result)
        {
            var attend = dtype switch
            {
                "float16" => (AttendKernel)Attend<KvFloat16>,
                "bfloat16" => Attend<KvBFloat16>,
                _ => Attend<KvFloat32>,
            };
            attend(q, k, v, head * headDim, rowStride, headDim, blocks, BlockSize, length, scale, s, p, o);
        }

        AssertClose(ExpectedScores(storedKeys), scores, 1e-4);
        AssertClose(ExpectedResult(storedValues), result, 1e-4);
        AssertClose(ExpectedScores(keys), scores, tolerance);
        AssertClose(ExpectedResult(values), result, tolerance);
    }

    private delegate void AttendKernel(float* query, byte* keys, byte* values, int offset, int rowStride, int headDim, int[] blocks, int blockSize,
        int length, float scale, float* scores, float* probabilities, float* result);

    private static void Attend<T>(float* query, byte* keys, byte* values, int offset, int rowStride, int headDim, int[] blocks, int blockSize,
        int length, float scale, float* scores, float* probabilities, float* result)
        where T : unmanaged, IKvElement
    {
        HeadAttention<T>.Scores(query, keys + (offset * T.Size), rowStride, headDim, blocks, blockSize, length, scale, scores);
        HeadAttention<T>.Weighted(probabilities, values + (offset * T.Size), rowStride, headDim, blocks, blockSize, length, result);
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
        }
    }
}
