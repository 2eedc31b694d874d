using Llama.Kernels;

namespace Llama.Tests.Kernels;

public unsafe class ChunkAttentionTests
{
    /// <summary>Head sizes below, at and past whole vectors; chunks alone, after a history, odd and even, across blocks.</summary>
    [Theory]
    [InlineData(8, 2, 0, 5)]
    [InlineData(64, 1, 9, 7)]
    [InlineData(64, 3, 40, 16)]
    [InlineData(128, 2, 3, 1)]
    [InlineData(24, 2, 17, 13)]
    [InlineData(36, 1, 0, 33)]
    public void A_chunk_attends_causally_as_plain_softmax_attention(int headDim, int heads, int startPos, int count)
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
        var scratch = new float[ChunkAttention.ScratchLength(count, startPos, headDim)];
        fixed (float* k = keys, v = values, q = queries, o = results, s = scratch)
        {
            ChunkAttention.Attend(q + (head * headDim), rowStride, count, startPos, k + (head * headDim), v + (head * headDim), rowStride, headDim,
                blocks, BlockSize, scale, s, o + (head * headDim), rowStride);
        }

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
                Assert.Equal(expected, results[(t * rowStride) + (head * headDim) + c], 1e-5);
            }

            // Other heads' features are left alone.
            for (var c = 0; c < head * headDim; c++)
            {
                Assert.Equal(untouched, results[(t * rowStride) + c]);
            }
        }
    }
}
