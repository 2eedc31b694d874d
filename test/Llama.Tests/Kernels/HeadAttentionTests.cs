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

    [Theory]
    [InlineData(8, 0, 5)]
    [InlineData(64, 9, 7)]
    public void A_chunk_attends_causally_as_its_rows_would_one_by_one(int headDim, int startPos, int count)
    {
        const int BlockSize = 4;
        var random = new Random(headDim + count);
        var length = startPos + count;
        var blockCount = ((length + BlockSize - 1) / BlockSize) + 2;
        var keys = Enumerable.Range(0, blockCount * BlockSize * headDim).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var values = Enumerable.Range(0, keys.Length).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var queries = Enumerable.Range(0, count * headDim).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var blocks = Enumerable.Range(0, blockCount).Reverse().ToArray();
        var scale = 1f / MathF.Sqrt(headDim);
        // Made-up probabilities: what matters here is which positions each row combines.
        var probabilities = Enumerable.Range(0, count * length).Select(_ => (float)random.NextDouble()).ToArray();

        var chunkScores = new float[count * length];
        var chunkResults = new float[count * headDim];
        fixed (float* k = keys, v = values, q = queries, s = chunkScores, p = probabilities, o = chunkResults)
        {
            HeadAttention.ChunkScores(q, headDim, count, startPos, k, headDim, headDim, blocks, BlockSize, scale, s);
            HeadAttention.ChunkWeighted(p, count, startPos, v, headDim, headDim, blocks, BlockSize, o, headDim);
        }

        for (var t = 0; t < count; t++)
        {
            var seen = startPos + t + 1;
            var rowScores = new float[seen];
            var rowResult = new float[headDim];
            fixed (float* k = keys, v = values, q = &queries[t * headDim], s = rowScores, p = &probabilities[t * length], o = rowResult)
            {
                HeadAttention.Scores(q, k, headDim, headDim, blocks, BlockSize, seen, scale, s);
                HeadAttention.Weighted(p, v, headDim, headDim, blocks, BlockSize, seen, o);
            }

            Assert.Equal(rowScores, chunkScores.AsSpan(t * length, seen).ToArray(), (a, b) => Math.Abs(a - b) < 1e-5f);
            Assert.Equal(rowResult, chunkResults.AsSpan(t * headDim, headDim).ToArray(), (a, b) => Math.Abs(a - b) < 1e-4f);
        }
    }
}
