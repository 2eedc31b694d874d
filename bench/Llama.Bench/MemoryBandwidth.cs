using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Llama.Bench;

/// <summary>
/// A STREAM-like read kernel: T threads each sum their slice of one large float buffer with
/// <see cref="Vector{T}"/> loads; the best of several passes gives the host's achievable read bandwidth.
/// </summary>
internal static unsafe class MemoryBandwidth
{
    public const long DefaultBytes = 1L << 30;

    public const int DefaultPasses = 5;

    public static string Description(long bytes, int passes) =>
        $"C# Vector<float> read kernel: sum of a {bytes >> 20} MiB buffer, best of {passes}";

    /// <returns>Bytes read per second in the best pass.</returns>
    public static double MeasureBytesPerSecond(int threads, long bytes, int passes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        var floats = bytes / sizeof(float) / Vector<float>.Count / 4 * Vector<float>.Count * 4;
        ArgumentOutOfRangeException.ThrowIfLessThan(floats, threads * Vector<float>.Count * 4L, nameof(bytes));

        var buffer = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        try
        {
            // Each thread first-touches the slice it later reads, so pages land near the thread that reads them.
            RunSlices(buffer, floats, threads, (start, count) =>
            {
                for (var i = 0L; i < count; i += int.MaxValue / 2)
                {
                    new Span<float>(start + i, (int)Math.Min(int.MaxValue / 2, count - i)).Clear();
                }
            });

            var best = double.MaxValue;
            for (var pass = 0; pass < passes; pass++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var total = 0f;
                var gate = new Lock();
                var seconds = RunSlices(buffer, floats, threads, (start, count) =>
                {
                    var sum = Sum(start, count);
                    lock (gate)
                    {
                        total += sum;
                    }
                });

                // The buffer is zeros; checking the sums keeps the reads from being optimised away.
                if (total != 0f)
                {
                    throw new InvalidOperationException("Bandwidth kernel summed a zero buffer to non-zero.");
                }

                best = Math.Min(best, seconds);
            }

            return floats * sizeof(float) / best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>Sums <paramref name="count"/> floats (a multiple of four vectors) with four independent accumulators.</summary>
    internal static float Sum(float* start, long count)
    {
        var width = Vector<float>.Count;
        Vector<float> a = default, b = default, c = default, d = default;
        for (var i = 0L; i < count; i += 4L * width)
        {
            a += *(Vector<float>*)(start + i);
            b += *(Vector<float>*)(start + i + width);
            c += *(Vector<float>*)(start + i + (2 * width));
            d += *(Vector<float>*)(start + i + (3 * width));
        }

        return Vector.Sum(a + b + c + d);
    }

    /// <summary>Runs <paramref name="work"/> on one dedicated thread per slice, all released together.</summary>
    /// <returns>Seconds from release until the last thread finished.</returns>
    private static double RunSlices(float* buffer, long floats, int threads, SliceWork work)
    {
        var blocks = floats / (4L * Vector<float>.Count);
        using var go = new ManualResetEventSlim();
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var first = blocks * t / threads * 4 * Vector<float>.Count;
            var last = blocks * (t + 1) / threads * 4 * Vector<float>.Count;
            var start = (nint)(buffer + first);
            workers[t] = new Thread(() =>
            {
                go.Wait();
                work((float*)start, last - first);
            });
            workers[t].Start();
        }

        var clock = Stopwatch.StartNew();
        go.Set();
        foreach (var worker in workers)
        {
            worker.Join();
        }

        return clock.Elapsed.TotalSeconds;
    }

    private delegate void SliceWork(float* start, long count);
}
