using System.Globalization;
using Llama.Chat;
using Llama.Serving;

namespace Llama.Bench.Serving;

/// <summary>
/// Section 2: the same streams through Orleans (client → conversation grains → the silo's model worker): one
/// conversation alone, then <see cref="ServingBenchOptions.Streams"/> at once, each reply streamed back to the client.
/// </summary>
internal static class OrleansSection
{
    private const string Section = ServingBenchOptions.OrleansSection;

    /// <summary>Alternating runs of one stream alone, directly and through Orleans.</summary>
    private const int AloneRounds = 3;

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

        var (single, direct, store) = await AloneAsync(cluster, options, plan, cancellationToken).ConfigureAwait(false);
        await cluster.DropAllCachesAsync().ConfigureAwait(false);

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
            new Figure(Section, "1 stream, the silo's engine called directly", direct.DecodeRate, "tok/s"),
            new Figure(Section, "1-conversation decode", single.DecodeRate, "tok/s",
                Target.AtLeastTimes(single.DecodeRate, 0.9, "the silo's engine directly", direct.DecodeRate)),
            new Figure(Section, "TTFT, 1 conversation", single.TimeToFirstToken * 1000, "ms"),
            new Figure(Section, "turn stored, after its last token, 1 conversation", store * 1000, "ms"),
            new Figure(Section, $"{streams}-conversation aggregate decode", aggregate, "tok/s",
                engine is null ? null : Target.AtLeastTimes(aggregate, 0.9, $"engine {streams}-stream", engine.AggregateRate)),
            new Figure(Section, $"TTFT p50, {streams} conversations", Percentiles.Of(ttft, 50), "ms"),
            new Figure(Section, $"TTFT p99, {streams} conversations", Percentiles.Of(ttft, 99), "ms"),
        ];
    }

    /// <summary>
    /// One conversation alone against the same engine called directly with the same kind of prompt, alternately,
    /// <see cref="AloneRounds"/> times; the best of each. The same engine instance leaves only what Orleans adds, and on
    /// a two-core host one run of a second or two swings by ±20 %, so one run of each is no comparison.
    /// </summary>
    private static async Task<(StreamTiming Conversation, StreamTiming Direct, double StoreSeconds)> AloneAsync(
        BenchCluster cluster, ServingBenchOptions options, StoryPlan plan, CancellationToken cancellationToken)
    {
        var model = cluster.Model;
        var format = new ChatFormat(model.Tokenizer);
        StreamTiming? best = null;
        StreamTiming? bestDirect = null;
        var store = double.NaN;
        for (var round = 0; round < AloneRounds; round++)
        {
            Progress.Report($"orleans: 1 stream, {options.Tokens} tokens, round {round + 1} of {AloneRounds}: the silo's engine directly, then a conversation");
            var prompt = format.Encode([new Message(Role.User, Prompts.Story(plan.Alone(round, direct: true)))]).Ids;
            var clock = new TokenClock();
            await model.Engine.RunAsync(new TurnRequest($"direct-{round}", prompt, BenchEngine.Greedy(options.Tokens)), _ => clock.Token(), cancellationToken)
                .ConfigureAwait(false);
            var direct = clock.Finish();

            var alone = await ConversationTurn.CreateAsync(cluster, $"throughput-single-{round}", options.Tokens, cancellationToken).ConfigureAwait(false);
            var (single, result, stored) = await ConversationTurn.RunTimedAsync(alone, Prompts.Story(plan.Alone(round, direct: false)), cancellationToken)
                .ConfigureAwait(false);
            Progress.Report(string.Create(CultureInfo.InvariantCulture,
                $"orleans: directly {direct.DecodeRate:F2} tok/s; conversation {single.Tokens} tokens ({result.FinishReason}), {single.DecodeRate:F2} tok/s, TTFT {single.TimeToFirstToken * 1000:F0} ms, stored {stored * 1000:F0} ms after its last token"));
            bestDirect = bestDirect is null || direct.DecodeRate > bestDirect.DecodeRate ? direct : bestDirect;
            if (best is null || single.DecodeRate > best.DecodeRate)
            {
                (best, store) = (single, stored);
            }
        }

        return (best!, bestDirect!, store);
    }
}
