using Llama.Kernels;

namespace Llama.Tests.Kernels;

public unsafe class RowDotTests
{
    /// <summary>
    /// Batches of every size the kernels tile (one, two, three, four vectors at a time and remainders), widths that
    /// take 512-bit, 256-bit and scalar loops, rows past whole blocks of four: each output equals a double-precision
    /// dot product, and each batch row is bit for bit what the same vector gives alone (a served turn's tokens must
    /// not depend on what it was batched with).
    /// </summary>
    [Theory]
    [InlineData(768, 10, 32)]
    [InlineData(768, 9, 7)]
    [InlineData(2048, 5, 6)]
    [InlineData(48, 4, 5)]
    [InlineData(24, 7, 4)]
    [InlineData(13, 6, 3)]
    [InlineData(64, 3, 1)]
    public void Batched_products_equal_a_plain_computation_and_each_row_alone(int cols, int rows, int n)
    {
        var random = new Random(cols + rows + n);
        var weights = Enumerable.Range(0, rows * cols).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var inputs = Enumerable.Range(0, n * cols).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var batched = new float[n * rows];
        var alone = new float[n * rows];
        fixed (float* w = weights, x = inputs, o = batched, a = alone)
        {
            RowDot.Rows(w, cols, x, n, o, rows, 0, rows);
            for (var b = 0; b < n; b++)
            {
                RowDot.Rows(w, cols, x + (b * cols), 1, a + (b * rows), rows, 0, rows);
            }
        }

        for (var b = 0; b < n; b++)
        {
            for (var r = 0; r < rows; r++)
            {
                var expected = Enumerable.Range(0, cols).Sum(c => (double)weights[(r * cols) + c] * inputs[(b * cols) + c]);
                Assert.Equal(expected, batched[(b * rows) + r], 1e-4);
                Assert.Equal(BitConverter.SingleToUInt32Bits(alone[(b * rows) + r]), BitConverter.SingleToUInt32Bits(batched[(b * rows) + r]));
            }
        }
    }
}
