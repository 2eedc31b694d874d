using System.Diagnostics;
using System.Globalization;
using Llama.Kernels;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Bench.Peer;

/// <summary>
/// The block kernels alone, on one thread: a 110M-shape FFN matrix (2048 × 768) of Q8_0 or Q4_K against 32 input rows
/// at once (the four-row, four-input VNNI tiles, or four-input tiles without AVX-VNNI) and against the same rows one at a time (the matrix-vector path each decode stream takes
/// alone), interleaved, best of several passes; printed as multiply-adds per second and their ratio.
/// </summary>
internal static unsafe class KernelRunner
{
    private const int Rows = 2048, Cols = 768, Inputs = 32, Passes = 7;

    public static void Run(CancellationToken cancellationToken)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"block kernels, 1 thread: {Rows} x {Cols} weights against {Inputs} inputs, best of {Passes}; GMAC/s"));
        Console.WriteLine("type     tiled    one at a time   ratio");
        var random = new Random(5);
        var x = Enumerable.Range(0, Inputs * Cols).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        var q8 = Q8Rows.Of(x, Inputs, Cols);
        var single = Enumerable.Range(0, Inputs).Select(b => Q8Rows.Of(x.AsSpan(b * Cols, Cols), 1, Cols)).ToArray();
        foreach (var type in new[] { WeightType.Q8_0, WeightType.Q4_K })
        {
            var weights = Weights(type, random);
            var output = new float[Inputs * Rows];
            double tiled = double.MaxValue, alone = double.MaxValue;
            fixed (byte* w = weights)
            fixed (float* input = x)
            fixed (float* result = output)
            {
                for (var pass = 0; pass < Passes; pass++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var clock = Stopwatch.StartNew();
                    BlockDot.Rows(type, w, Cols, input, q8, Inputs, result, Rows, 0, Rows);
                    tiled = Math.Min(tiled, clock.Elapsed.TotalSeconds);
                    clock.Restart();
                    for (var b = 0; b < Inputs; b++)
                    {
                        BlockDot.Rows(type, w, Cols, input + (b * Cols), single[b], 1, result + (b * Rows), Rows, 0, Rows);
                    }

                    alone = Math.Min(alone, clock.Elapsed.TotalSeconds);
                }
            }

            const double work = (double)Rows * Cols * Inputs / 1e9;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{type,-8} {work / tiled,6:F1}   {work / alone,13:F1}   {alone / tiled,5:F2}"));
        }
    }

    private static byte[] Weights(WeightType type, Random random)
    {
        if (type == WeightType.Q4_K)
        {
            return GgufModels.RandomQ4K(Rows, Cols, random);
        }

        var values = Enumerable.Range(0, Rows * Cols).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        return GgufModels.Encode(values, Cols, type);
    }
}
