using System.Globalization;
using Llama.Chat;
using Llama.Serving;

namespace Llama.Bench.Serving;

/// <summary>
/// Section 1: the serving engine alone on the random 110M model: one greedy request by itself, then
/// <see cref="ServingBenchOptions.Streams"/> requests with different prompts submitted at once.
/// </summary>
internal static class EngineSection
{
    private const string Section = ServingBenchOptions.EngineSection;

    public static async Task<(IReadOnlyList<Figure> Figures, EngineFigures Reference)> RunAsync(
        BenchModel model, ServingBenchOptions options, CancellationToken cancellationToken)
    {
        Progress.Report($"engine: loading the model, {options.Threads} threads, {options.Streams} sequences per batch");
        using var bench = BenchEngine.Load(model, options.Device, options.Threads, options.Streams, BenchEngine.MaxSeqLen, kvCacheBytes: null, options.KvDType);
        // The prompts a conversation grain sends for the same messages, so the Orleans section runs the same tokens.
        IReadOnlyList<int> Prompt(int story) => bench.Llama.ChatFormat.Encode([new Message(Role.User, Prompts.Story(story))]).Ids;
        var plan = new StoryPlan(options.Streams);

        // Compiles and warms every path (one sequence, a full batch) before anything is timed.
        Progress.Report("engine: warming up");
        await bench.RunAsync(new TurnRequest("warmup", Prompt(plan.Warmup(0)), BenchEngine.Greedy(4)), cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(Enumerable.Range(0, options.Streams).Select(i =>
            bench.RunAsync(new TurnRequest($"warmup-{i}", Prompt(plan.Warmup(i)), BenchEngine.Greedy(4)), cancellationToken))).ConfigureAwait(false);
        bench.Engine.DropAll();
        await JitSettle.WaitAsync("engine", cancellationToken).ConfigureAwait(false);

        Progress.Report($"engine: 1 stream, {options.Tokens} tokens");
        var (single, _) = await bench.RunAsync(new TurnRequest("single", Prompt(plan.Single), BenchEngine.Greedy(options.Tokens)), cancellationToken).ConfigureAwait(false);
        Progress.Report(string.Create(CultureInfo.InvariantCulture,
            $"engine: {single.Tokens} tokens, {single.DecodeRate:F2} tok/s, TTFT {single.TimeToFirstToken * 1000:F0} ms"));
        bench.Engine.DropAll();

        Progress.Report($"engine: {options.Streams} streams at once, {options.Tokens} tokens each");
        var runs = await Task.WhenAll(Enumerable.Range(0, options.Streams).Select(i =>
            bench.RunAsync(new TurnRequest($"stream-{i}", Prompt(plan.Stream(i)), BenchEngine.Greedy(options.Tokens)), cancellationToken))).ConfigureAwait(false);
        var timings = runs.Select(r => r.Timing).ToArray();
        var aggregate = StreamTiming.AggregateDecodeRate(timings);
        var ttft = timings.Select(t => t.TimeToFirstToken * 1000).ToArray();
        Progress.Report(string.Create(CultureInfo.InvariantCulture,
            $"engine: {timings.Sum(t => t.Tokens)} tokens, {aggregate:F2} tok/s aggregate, {bench.Engine.Statistics().DecodeSteps} decode steps in all"));

        var streams = options.Streams.ToString(CultureInfo.InvariantCulture);
        IReadOnlyList<Figure> figures =
        [
            new Figure(Section, "1-stream decode", single.DecodeRate, "tok/s"),
            new Figure(Section, "TTFT, 1 stream", single.TimeToFirstToken * 1000, "ms"),
            new Figure(Section, $"{streams}-stream aggregate decode", aggregate, "tok/s",
                Target.AtLeastTimes(aggregate, 5, "1-stream", single.DecodeRate)),
            new Figure(Section, $"TTFT p50, {streams} streams", Percentiles.Of(ttft, 50), "ms"),
            new Figure(Section, $"TTFT p99, {streams} streams", Percentiles.Of(ttft, 99), "ms"),
        ];
        return (figures, new EngineFigures(single.DecodeRate, aggregate));
    }
}
