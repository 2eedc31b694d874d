using System.Globalization;

namespace Llama.Bench.Serving;

/// <summary>
/// Section 2: the same streams through Orleans (client → conversation grains → the silo's model worker): one
/// conversation alone, then <see cref="ServingBenchOptions.Streams"/> at once, each reply streamed back to the client.
/// </summary>
internal static class OrleansSection
{
    private const string Section = ServingBenchOptions.OrleansSection;

    public static async Task<IReadOnlyList<Figure>> RunAsync(
        BenchCluster cluster, ServingBenchOptions options, EngineFigures? engine, CancellationToken cancellationToken)
    {
        // The first turn activates the worker, which loads the model; then a full batch warms the batched path,
        // as the engine section does. Neither is part of any figure.
        Progress.Report("orleans: warming up (the worker loads the model)");
        var plan = new StoryPlan(options.Streams);
        var warmup = await ConversationTurn.CreateAsync(cluster, "throughput-warmup", 4, cancellationToken).ConfigureAwait(false);
        await ConversationTurn.RunAsync(warmup, Prompts.Story(plan.Warmup(0)), cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(Enumerable.Range(0, options.Streams).Select(async i =>
        {
            var conversation = await ConversationTurn.CreateAsync(cluster, $"throughput-warmup-{i}", 4, cancellationToken).ConfigureAwait(false);
            await ConversationTurn.RunAsync(conversation, Prompts.Story(plan.Warmup(i)), cancellationToken).ConfigureAwait(false);
        })).ConfigureAwait(false);
        await cluster.DropAllCachesAsync().ConfigureAwait(false);
        await JitSettle.WaitAsync("orleans", cancellationToken).ConfigureAwait(false);

        Progress.Report($"orleans: 1 conversation, {options.Tokens} tokens");
        var alone = await ConversationTurn.CreateAsync(cluster, "throughput-single", options.Tokens, cancellationToken).ConfigureAwait(false);
        var (single, singleResult) = await ConversationTurn.RunAsync(alone, Prompts.Story(plan.Single), cancellationToken).ConfigureAwait(false);
        Progress.Report(string.Create(CultureInfo.InvariantCulture,
            $"orleans: {single.Tokens} tokens ({singleResult.FinishReason}), {single.DecodeRate:F2} tok/s, TTFT {single.TimeToFirstToken * 1000:F0} ms"));

        Progress.Report($"orleans: {options.Streams} conversations at once, {options.Tokens} tokens each");
        var conversations = await Task.WhenAll(Enumerable.Range(0, options.Streams).Select(i =>
            ConversationTurn.CreateAsync(cluster, $"throughput-{i}", options.Tokens, cancellationToken))).ConfigureAwait(false);
        var turns = await Task.WhenAll(conversations.Select((c, i) =>
            Task.Run(() => ConversationTurn.RunAsync(c, Prompts.Story(plan.Stream(i)), cancellationToken), cancellationToken))).ConfigureAwait(false);
        var timings = turns.Select(t => t.Timing).ToArray();
        var aggregate = StreamTiming.AggregateDecodeRate(timings);
        var ttft = timings.Select(t => t.TimeToFirstToken * 1000).ToArray();
        Progress.Report(string.Create(CultureInfo.InvariantCulture,
            $"orleans: {timings.Sum(t => t.Tokens)} tokens, {aggregate:F2} tok/s aggregate"));

        var streams = options.Streams.ToString(CultureInfo.InvariantCulture);
        return
        [
            new Figure(Section, "1-conversation decode", single.DecodeRate, "tok/s",
                engine is null ? null : Target.AtLeastTimes(single.DecodeRate, 0.9, "engine 1-stream", engine.SingleStreamRate)),
            new Figure(Section, "TTFT, 1 conversation", single.TimeToFirstToken * 1000, "ms"),
            new Figure(Section, $"{streams}-conversation aggregate decode", aggregate, "tok/s",
                engine is null ? null : Target.AtLeastTimes(aggregate, 0.9, $"engine {streams}-stream", engine.AggregateRate)),
            new Figure(Section, $"TTFT p50, {streams} conversations", Percentiles.Of(ttft, 50), "ms"),
            new Figure(Section, $"TTFT p99, {streams} conversations", Percentiles.Of(ttft, 99), "ms"),
        ];
    }
}
