using System.Globalization;
using LlamaOrleans;

namespace Llama.Bench.Serving;

/// <summary>
/// Sections 3 and 4: <see cref="ServingBenchOptions.Conversations"/> conversations × <see cref="ServingBenchOptions.Turns"/>
/// turns through Orleans, every conversation sending its next turn together with the others (one round per turn).
/// The multiturn section runs them with the worker keeping each conversation's KV cache, twice: with Meta's prompts,
/// which re-encode each reply's text (a random model's greedy tokens are seldom their text's usual encoding, so
/// each turn also recomputes the last reply), then keeping the replies' generated tokens, so each turn computes only
/// its new message. The baseline section runs them on a silo without prefix caching and with every cache dropped
/// after each round through <see cref="IModelWorkerGrain.DropAllCaches"/>, so each turn misses and the conversation
/// re-sends and recomputes its whole history: Meta's stateless chat.
/// </summary>
internal static class MultiTurnSection
{
    private const string Section = ServingBenchOptions.MultiTurnSection;

    private const string BaselineSection = ServingBenchOptions.BaselineSection;

    /// <summary>The runs with cache reuse, on a silo that keeps caches and shares prefix blocks; also the kept-token run's last TTFT p50.</summary>
    public static async Task<(IReadOnlyList<Figure> Figures, double LastTtft)> RunReuseAsync(BenchCluster cluster, ServingBenchOptions options, CancellationToken cancellationToken)
    {
        await WarmUpAsync(cluster, options, "reuse", cancellationToken).ConfigureAwait(false);
        var meta = await RunConversationsAsync(cluster, options, "reuse", 0, dropCaches: false, keepReplyTokens: false, cancellationToken).ConfigureAwait(false);
        var kept = await RunConversationsAsync(cluster, options, "reuse-kept", options.Conversations, dropCaches: false, keepReplyTokens: true, cancellationToken).ConfigureAwait(false);
        var last = options.Turns.ToString(CultureInfo.InvariantCulture);
        IReadOnlyList<Figure> figures =
        [
            new Figure(Section, "TTFT p50, turn 1, cache reuse, Meta prompts", meta[0].TtftP50, "ms"),
            new Figure(Section, $"TTFT p50, turn {last}, cache reuse, Meta prompts", meta[^1].TtftP50, "ms", Target.Versus(meta[^1].TtftP50, "turn 1", meta[0].TtftP50)),
            new Figure(Section, $"prompt tokens computed, turn {last}, Meta prompts", meta[^1].MeanPrefilled, "mean",
                Target.Versus(meta[^1].MeanPrefilled, "prompt", meta[^1].MeanPrompt)),
            new Figure(Section, "TTFT p50, turn 1, cache reuse, reply tokens kept", kept[0].TtftP50, "ms"),
            new Figure(Section, $"TTFT p50, turn {last}, cache reuse, reply tokens kept", kept[^1].TtftP50, "ms",
                Target.AtMostTimes(kept[^1].TtftP50, 1.5, "turn 1", kept[0].TtftP50)),
            new Figure(Section, $"prompt tokens computed, turn {last}, reply tokens kept", kept[^1].MeanPrefilled, "mean",
                Target.Versus(kept[^1].MeanPrefilled, "prompt", kept[^1].MeanPrompt)),
        ];
        return (figures, kept[^1].TtftP50);
    }

    /// <summary>
    /// The no-reuse baseline, on a silo without prefix caching whose caches are dropped after every round, compared
    /// with the reuse run's last-turn TTFT p50 when that run was made.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> RunBaselineAsync(
        BenchCluster cluster, ServingBenchOptions options, double? reuseLastTtft, CancellationToken cancellationToken)
    {
        await WarmUpAsync(cluster, options, "no-reuse", cancellationToken).ConfigureAwait(false);
        // Other messages than the reuse run's.
        var baseline = await RunConversationsAsync(cluster, options, "no-reuse", 2 * options.Conversations, dropCaches: true, keepReplyTokens: false, cancellationToken).ConfigureAwait(false);
        var last = options.Turns.ToString(CultureInfo.InvariantCulture);
        var (baselineFirst, baselineLast) = (baseline[0].TtftP50, baseline[^1].TtftP50);
        var figures = new List<Figure>
        {
            new(BaselineSection, "TTFT p50, turn 1, no reuse", baselineFirst, "ms"),
            new(BaselineSection, $"TTFT p50, turn {last}, no reuse", baselineLast, "ms", Target.Versus(baselineLast, "turn 1", baselineFirst)),
            // The baseline means something only if the engine found nothing of the dropped caches to reuse.
            new(BaselineSection, $"prompt tokens computed, turn {last}, no reuse", baseline[^1].MeanPrefilled, "mean",
                Target.AtLeastTimes(baseline[^1].MeanPrefilled, 1, "prompt", baseline[^1].MeanPrompt)),
        };
        if (reuseLastTtft is { } reuseLast)
        {
            figures.Add(new Figure(BaselineSection, $"TTFT p50, turn {last}: no reuse / reuse (reply tokens kept)", baselineLast / reuseLast, "x"));
        }

        return figures;
    }

    /// <summary>
    /// A round of first turns that activates the worker (which loads the model) and runs every path a round runs,
    /// before anything is timed; then the caches are dropped and the JIT left to settle.
    /// </summary>
    private static async Task WarmUpAsync(BenchCluster cluster, ServingBenchOptions options, string run, CancellationToken cancellationToken)
    {
        Progress.Report($"multiturn ({run}): warming up");
        await Task.WhenAll(Enumerable.Range(0, options.Conversations).Select(async c =>
        {
            var conversation = await ConversationTurn.CreateAsync(cluster, $"{run}-warmup-{c}", 4, cancellationToken).ConfigureAwait(false);
            await ConversationTurn.RunAsync(conversation, Prompts.Turn((int.MaxValue / 2) + c, 0), cancellationToken).ConfigureAwait(false);
        })).ConfigureAwait(false);
        await cluster.DropAllCachesAsync().ConfigureAwait(false);
        await JitSettle.WaitAsync($"multiturn ({run})", cancellationToken).ConfigureAwait(false);
    }

    /// <param name="firstConversation">The number of the first conversation, which its messages name.</param>
    private static async Task<Round[]> RunConversationsAsync(
        BenchCluster cluster, ServingBenchOptions options, string run, int firstConversation, bool dropCaches, bool keepReplyTokens,
        CancellationToken cancellationToken)
    {
        Progress.Report($"multiturn ({run}): {options.Conversations} conversations × {options.Turns} turns, {options.ReplyTokens}-token replies");
        var conversations = await Task.WhenAll(Enumerable.Range(0, options.Conversations).Select(c =>
            ConversationTurn.CreateAsync(cluster, $"{run}-{c}", options.ReplyTokens, cancellationToken, keepReplyTokens))).ConfigureAwait(false);
        var rounds = new Round[options.Turns];
        for (var turn = 0; turn < options.Turns; turn++)
        {
            var turnIndex = turn;
            var results = await Task.WhenAll(conversations.Select((conversation, c) => Task.Run(
                () => ConversationTurn.RunAsync(conversation, Prompts.Turn(firstConversation + c, turnIndex), cancellationToken), cancellationToken))).ConfigureAwait(false);
            rounds[turn] = new Round(
                Percentiles.Of(results.Select(r => r.Timing.TimeToFirstToken * 1000).ToArray(), 50),
                results.Average(r => (double)r.Result.PrefilledTokens),
                results.Average(r => (double)r.Result.PromptTokens));
            Progress.Report(string.Create(CultureInfo.InvariantCulture,
                $"multiturn ({run}): turn {turn + 1}: TTFT p50 {rounds[turn].TtftP50:F0} ms, prompt {rounds[turn].MeanPrompt:F0} tokens, computed {rounds[turn].MeanPrefilled:F0} (means)"));
            if (dropCaches)
            {
                await cluster.DropAllCachesAsync().ConfigureAwait(false);
            }
        }

        // Trimmed turns change the prompt's start, which no cache can serve: the figures would mean something else.
        var statuses = await Task.WhenAll(conversations.Select(c => c.StatusAsync(cancellationToken))).ConfigureAwait(false);
        var trims = statuses.Sum(s => s.Trims);
        if (trims > 0)
        {
            Progress.Report($"multiturn ({run}): WARNING: {trims} trims; the dialogs outgrew the context, so later turns recomputed from a new start");
        }

        return rounds;
    }

    /// <summary>One turn of every conversation: the median time to first token, the mean prompt and the mean part of it computed.</summary>
    private sealed record Round(double TtftP50, double MeanPrefilled, double MeanPrompt);
}
