using System.Numerics;

namespace Llama.Model;

/// <summary>
/// The fixed shape a decode step is padded to: <paramref name="Batch"/> sequences (1, 2, 4, … up to the model's batch
/// size), <paramref name="KeyBlocks"/> KV blocks of history each (rounded up by at most a quarter), and whether
/// every row is greedy (its graph then skips the top-p sort). One CUDA graph serves each.
/// </summary>
public readonly record struct DecodeBucket(int Batch, int KeyBlocks, bool Greedy)
{
    /// <summary>The smallest bucket that holds <paramref name="sequences"/> sequences reaching <paramref name="endPos"/>.</summary>
    public static DecodeBucket For(int sequences, int endPos, bool greedy, int maxBatch, int blockSize, int maxBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequences, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequences, maxBatch);
        var blocks = (endPos + blockSize - 1) / blockSize;
        return new DecodeBucket(Math.Min(PowerOfTwo(sequences), maxBatch), Math.Min(HistoryBlocks(Math.Max(blocks, 1)), maxBlocks), greedy);
    }

    /// <summary>
    /// Blocks of history rounded up to a power of two up to 4, beyond that to a multiple of a quarter of the power of two
    /// below: at most a quarter more keys read than held, and four graphs per doubling of the context.
    /// </summary>
    private static int HistoryBlocks(int blocks)
    {
        if (blocks <= 4)
        {
            return PowerOfTwo(blocks);
        }

        var granularity = 1 << (BitOperations.Log2((uint)blocks) - 2);
        return (blocks + granularity - 1) / granularity * granularity;
    }

    private static int PowerOfTwo(int n) => n <= 1 ? 1 : 1 << (32 - int.LeadingZeroCount(n - 1));
}
