using System.Diagnostics;
using Llama.Generation;
using Llama.Serving;

namespace Llama.Bench.Device;

/// <summary>One stream's timing and tokens: submitted, first token, last token (Stopwatch ticks).</summary>
internal sealed record StreamRun(long Submitted, long First, long Last, int[] Tokens)
{
    public double TimeToFirstToken => (First - Submitted) / (double)Stopwatch.Frequency;

    /// <summary>Tokens after the first per second: decode alone, without the prefill.</summary>
    public double DecodeRate => (Tokens.Length - 1) / ((Last - First) / (double)Stopwatch.Frequency);
}

/// <summary>Greedy streams through a serving engine, timed as their tokens arrive.</summary>
internal static class EngineStreams
{
    public static GenerationOptions Greedy(int tokens) => new() { Temperature = 0, MaxGenLen = tokens };

    public static async Task<StreamRun> RunAsync(ServingEngine engine, string id, IReadOnlyList<int> prompt, int tokens, CancellationToken cancellationToken)
    {
        var submitted = Stopwatch.GetTimestamp();
        long first = 0, last = 0;
        var outcome = await engine.RunAsync(new TurnRequest(id, prompt, Greedy(tokens)), _ =>
        {
            last = Stopwatch.GetTimestamp();
            if (first == 0)
            {
                first = last;
            }
        }, cancellationToken).ConfigureAwait(false);
        if (outcome.Tokens.Count < Math.Min(tokens, 2))
        {
            throw new BenchException($"Stream {id} produced {outcome.Tokens.Count} tokens, fewer than the {tokens} asked for.");
        }

        return new StreamRun(submitted, first, last, [.. outcome.Tokens]);
    }

    /// <summary>
    /// Runs the streams at once; the aggregate decode rate counts every token after each stream's first over the time
    /// from the earliest first token to the latest last one.
    /// </summary>
    public static async Task<(StreamRun[] Runs, double Aggregate)> RunManyAsync(
        ServingEngine engine, string id, IReadOnlyList<int>[] prompts, int tokens, CancellationToken cancellationToken)
    {
        var runs = await Task.WhenAll(prompts.Select((p, i) => RunAsync(engine, $"{id}-{i}", p, tokens, cancellationToken))).ConfigureAwait(false);
        var seconds = (runs.Max(r => r.Last) - runs.Min(r => r.First)) / (double)Stopwatch.Frequency;
        return (runs, runs.Sum(r => r.Tokens.Length - 1) / seconds);
    }

    /// <summary>Prompt token ids in [3, vocab): deterministic per <paramref name="seed"/>, never BOS/EOS.</summary>
    public static int[] Prompt(int length, int vocab, int seed)
    {
        var random = new Random(seed);
        return [1, .. Enumerable.Range(0, length - 1).Select(_ => random.Next(3, vocab))];
    }
}
