using Llama.Kernels;

namespace Llama.Tests.Kernels;

public unsafe class HeadAttentionTests
{
    [Theory]
    [InlineData(8, 1, 3)]
    [InlineData(24, 2, 37)]
    [InlineData(64, 3, 50)]
    [InlineData(128, 2, 19)]
    public void Paged_scores_and_weighted_values_equal_a_plain_computation(int headDim, int heads, int length)
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

        var expectedScores = Enumerable.Range(0, length)
            .Select(j => Enumerable.Range(0, headDim).Sum(c => (double)query[c] * keys[Row(j) + c]) * scale).ToArray();
        var probabilities = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
        var expectedResult = Enumerable.Range(0, headDim)
            .Select(c => Enumerable.Range(0, length).Sum(j => (double)probabilities[j] * values[Row(j) + c])).ToArray();

        var scores = new float[length];
        var result = new float[headDim];
        fixed (float* k = keys, v = values, q = query, s = scores, p = probabilities, o = result)
        {
            HeadAttention.Scores(q, k + (head * headDim), rowStride, headDim, blocks, BlockSize, length, scale, s);
            HeadAttention.Weighted(p, v + (head * headDim), rowStride, headDim, blocks, BlockSize, length, o);
        }

        for (var j = 0; j < length; j++)
        {
            Assert.Equal(expectedScores[j], scores[j], 1e-4);
        }

        for (var c = 0; c < headDim; c++)
        {
            Assert.Equal(expectedResult[c], result[c], 1e-4);
        }
    }
}
