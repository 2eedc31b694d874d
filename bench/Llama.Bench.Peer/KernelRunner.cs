using System.Diagnostics;
using System.Globalization;
using Llama.Kernels;
using LlamaOrleans.Testing.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Bench.Peer;

/// <summary>
/// The block kernels alone, on one thread: a 110M-shape FFN matrix (2048 × 768) of Q8_0, Q4_K or Q6_K against 32 input
/// rows at once (the four-row, four-input VNNI tiles, or four-input tiles without AVX-VNNI) and against the same rows
/// one at a time (the matrix-vector path each decode stream takes alone), interleaved, best of several passes; printed
/// as multiply-adds per second and their ratio. Where AVX-VNNI packs the matrix in panels of eight rows, the panel
/// kernels are timed the same way beside them, with the largest difference of their outputs from the row kernels'
/// (relative to the largest output).
/// </summary>
internal static unsafe class KernelRunner
{
    private const int Rows = 2048, Cols = 768, Inputs = 32, Passes = 7;

    public static void Run(CancellationToken cancellationToken)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"block kernels, 1 thread: {Rows} x {Cols} weights against {Inputs} inputs, best of {Passes}; GMAC/s"));
        Console.WriteLine("type     tiled    one at a time   ratio   panels: tiled   one at a time   vs rows tiled   vs rows one   max difference");
        var random = new Random(5);
        var x = Enumerable.Range(0, Inputs * Cols).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        var q8 = Q8Rows.Of(x, Inputs, Cols);
        var single = Enumerable.Range(0, Inputs).Select(b => Q8Rows.Of(x.AsSpan(b * Cols, Cols), 1, Cols)).ToArray();
        foreach (var type in new[] { WeightType.Q8_0, WeightType.Q4_K, WeightType.Q6_K })
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
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{type,-8} {work / tiled,6:F1}   {work / alone,13:F1}   {alone / tiled,5:F2}");
            if (PanelMatrix.Supports(type, Rows))
            {
                var (panelTiled, panelAlone, difference) = Panels(type, weights, q8, single, output, cancellationToken);
                line += string.Create(CultureInfo.InvariantCulture,
                    $"   {work / panelTiled,13:F1}   {work / panelAlone,13:F1}   {tiled / panelTiled,13:F2}   {alone / panelAlone,11:F2}   {difference,14:E1}");
            }

            Console.WriteLine(line);
        }
    }

    /// <summary>Best seconds of the panel kernels tiled and one input at a time, and their largest relative difference from the row kernels' outputs.</summary>
    private static (double Tiled, double Alone, double Difference) Panels(WeightType type, byte[] weights, Q8Rows q8, Q8Rows[] single, float[] rowsOutput, CancellationToken cancellationToken)
    {
        using var source = empty([Rows, type.RowBytes(Cols)], ScalarType.Byte);
        weights.CopyTo(new Span<byte>(CpuWeight.Address(source, ScalarType.Byte), weights.Length));
        using var packed = PanelMatrix.Pack(source, type);
        var panels = CpuWeight.Address(packed, ScalarType.Byte);
        var tiledOutput = new float[Inputs * Rows];
        var aloneOutput = new float[Inputs * Rows];
        double tiled = double.MaxValue, alone = double.MaxValue;
        fixed (float* together = tiledOutput)
        fixed (float* apart = aloneOutput)
        {
            for (var pass = 0; pass < Passes; pass++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                PanelMatrix.Run(type, panels, q8, together, Rows, 0, Rows / PanelMatrix.Rows);
                tiled = Math.Min(tiled, clock.Elapsed.TotalSeconds);
                clock.Restart();
                for (var b = 0; b < Inputs; b++)
                {
                    PanelMatrix.Run(type, panels, single[b], apart + (b * Rows), Rows, 0, Rows / PanelMatrix.Rows);
                }

                alone = Math.Min(alone, clock.Elapsed.TotalSeconds);
            }
        }

        var largest = rowsOutput.Max(MathF.Abs);
        var difference = 0f;
        for (var i = 0; i < rowsOutput.Length; i++)
        {
            difference = MathF.Max(difference, MathF.Max(MathF.Abs(tiledOutput[i] - rowsOutput[i]), MathF.Abs(aloneOutput[i] - rowsOutput[i])));
        }

        return (tiled, alone, difference / largest);
    }

    private static byte[] Weights(WeightType type, Random random)
    {
        switch (type)
        {
            case WeightType.Q4_K:
                return GgufModels.RandomQ4K(Rows, Cols, random);
            case WeightType.Q6_K:
                // Any bytes are valid six-bit values and int8 scales; only each super-block's float16 d is set.
                var bytes = new byte[Rows * WeightType.Q6_K.RowBytes(Cols)];
                random.NextBytes(bytes);
                for (var block = 0; block < bytes.Length / 210; block++)
                {
                    BitConverter.TryWriteBytes(bytes.AsSpan((block * 210) + 208), (Half)0.0005f);
                }

                return bytes;
            default:
                var values = Enumerable.Range(0, Rows * Cols).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
                return GgufModels.Encode(values, Cols, type);
        }
    }
}
