using System.Diagnostics;
using Llama.Model;
using Llama.Parallel;

namespace Llama.Bench.Parallel;

/// <summary>What one layout measured: median milliseconds of a decode step (one new token) and of a chunk step.</summary>
internal sealed record LayoutTiming(string Layout, double DecodeMs, double ChunkMs, double ExchangesPerStep);

/// <summary>
/// Times layouts step by step: one sequence decoding after a 16-token prompt and 4 untimed warm-up steps, then chunk
/// steps of a second sequence (activations of that many rows cross per exchange), the first chunk untimed. Layouts
/// measured together take their steps in turn, so that load on the host hits them alike.
/// </summary>
internal static class StepTimer
{
    private const int WarmUp = 4;
    private const int Chunks = 4;

    /// <summary>Times every layout; the medians of each, and per pair of consecutive layouts the median of their step-by-step differences.</summary>
    public static (LayoutTiming[] Timings, double DecodeDifferenceMs, double ChunkDifferenceMs) Measure(
        IReadOnlyList<(string Layout, IPagedModel Model)> layouts, int tokens, int chunkRows)
    {
        var vocab = layouts[0].Model.Args.VocabSize;
        var perSequence = (layouts[0].Model.MaxSeqLen + layouts[0].Model.KvCache.BlockSize - 1) / layouts[0].Model.KvCache.BlockSize;
        int[] first = [.. Enumerable.Range(0, perSequence)], second = [.. Enumerable.Range(perSequence, perSequence)];
        int Token(int i) => 1 + (i * 7919 % (vocab - 1));
        var decode = layouts.Select(_ => new List<double>()).ToArray();
        var chunk = layouts.Select(_ => new List<double>()).ToArray();
        foreach (var (_, model) in layouts)
        {
            model.Forward([new SequenceInput(first, 0, [.. Enumerable.Range(0, 16).Select(Token)])]);
        }

        for (var t = 0; t < tokens + WarmUp; t++)
        {
            for (var l = 0; l < layouts.Count; l++)
            {
                var time = Time(layouts[l].Model, new SequenceInput(first, 16 + t, [Token(t)]));
                if (t >= WarmUp)
                {
                    decode[l].Add(time);
                }
            }
        }

        var exchanges = layouts.Select(l => Exchanges(l.Model)).ToArray();
        for (var c = 0; c <= Chunks; c++)
        {
            for (var l = 0; l < layouts.Count; l++)
            {
                var time = Time(layouts[l].Model, new SequenceInput(second, c * chunkRows, [.. Enumerable.Range(c * chunkRows, chunkRows).Select(Token)]));
                if (c > 0)
                {
                    chunk[l].Add(time);
                }
            }
        }

        var timings = layouts.Select((l, i) => new LayoutTiming(l.Layout, Median(decode[i]), Median(chunk[i]), exchanges[i])).ToArray();
        return layouts.Count < 2
            ? (timings, 0, 0)
            : (timings, Median([.. decode[1].Zip(decode[0], (b, a) => b - a)]), Median([.. chunk[1].Zip(chunk[0], (b, a) => b - a)]));
    }

    private static double Time(IPagedModel model, SequenceInput input)
    {
        var clock = Stopwatch.StartNew();
        model.Forward([input]);
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Exchanges(IPagedModel model) => model switch
    {
        DistributedModel<ITensorParallelRank> tensor => tensor.Statistics.ExchangesPerStep,
        DistributedModel<IPipelineStage> pipeline => pipeline.Statistics.ExchangesPerStep,
        _ => 0,
    };

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
