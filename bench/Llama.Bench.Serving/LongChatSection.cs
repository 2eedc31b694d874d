using System.Globalization;

namespace Llama.Bench.Serving;

/// <summary>
/// Section 6: long chats past the context. <see cref="ServingBenchOptions.Conversations"/> conversations ×
/// <see cref="ServingBenchOptions.LongTurns"/> turns of the demo model (stories260K, 512-token context) with
/// <see cref="ServingBenchOptions.ReplyTokens"/>-token replies, every conversation sending its next turn with the
/// others, so each outgrows the context several times. Conversations keep their replies' tokens
/// (<see cref="LlamaOrleans.ConversationSettings.KeepReplyTokens"/>), so a turn that extends the prompt computes only its
/// message; with Meta's prompts it also recomputes the last reply wherever the demo model's tokens differ from the
/// text's usual encoding (on this model, from its first tokens: see bench/README.md). A conversation that must shrink drops its oldest turns down
/// to the low-water mark (half the context), and the turns after it extend that prompt from the KV cache until the
/// next shrink. From turn 20 on, it prints the TTFT p50 of the turns that reused the cache, of the turns that shrank
/// (their prompt starts anew, so they recompute it), and of the same turns on a silo with no reuse (no prefix caching,
/// every cache dropped after each round), and the share of the prompt the reuse run computed.
/// </summary>
internal static class LongChatSection
{
    /// <summary>The first turn (from 1) measured: by then every conversation has shrunk at least once.</summary>
    public const int FromTurn = 20;

    /// <summary>The demo model's context.</summary>
    public const int MaxSeqLen = 512;

    private const string Section = ServingBenchOptions.LongChatSection;

    public static async Task<IReadOnlyList<Figure>> RunAsync(BenchModel model, ServingBenchOptions options, CancellationToken cancellationToken)
    {
        var reuse = await RunAsync(model, options, "reuse", prefixCaching: true, cancellationToken).ConfigureAwait(false);
        var baseline = await RunAsync(model, options, "no-reuse", prefixCaching: false, cancellationToken).ConfigureAwait(false);
        var from = Math.Min(FromTurn, options.LongTurns);
        var measured = reuse.Where(t => t.Turn >= from).ToArray();
        var reused = measured.Where(t => !t.Shrunk).ToArray();
        var shrunk = measured.Where(t => t.Shrunk).ToArray();
        var noReuse = baseline.Where(t => t.Turn >= from).ToArray();
        var turns = string.Create(CultureInfo.InvariantCulture, $"turns {from}-{options.LongTurns}");
        var noReuseTtft = P50(noReuse);
        var (computed, prompt) = (measured.Average(t => (double)t.Prefilled), measured.Average(t => (double)t.Prompt));
        return
        [
            new Figure(Section, $"TTFT p50, {turns}, cache reused ({reused.Length} turns)", P50(reused), "ms", Target.Versus(P50(reused), "no reuse", noReuseTtft)),
            new Figure(Section, $"TTFT p50, {turns}, context shrank ({shrunk.Length} turns)", P50(shrunk), "ms", Target.Versus(P50(shrunk), "no reuse", noReuseTtft)),
            new Figure(Section, $"TTFT p50, {turns}, no reuse ({noReuse.Length} turns)", noReuseTtft, "ms"),
            new Figure(Section, $"shrinks per conversation, {turns}", (double)shrunk.Length / options.Conversations, "mean"),
            new Figure(Section, $"prompt tokens per turn, {turns}", prompt, "mean"),
            new Figure(Section, $"prompt tokens computed per turn, {turns}, cache reuse", computed, "mean", Target.AtMostTimes(computed, 0.25, "prompt", prompt)),
            // The baseline means something only if it recomputed every prompt in full.
            new Figure(Section, $"prompt tokens computed per turn, {turns}, no reuse", noReuse.Average(t => (double)t.Prefilled), "mean",
                Target.AtLeastTimes(noReuse.Average(t => (double)t.Prefilled), 1, "prompt", noReuse.Average(t => (double)t.Prompt))),
        ];
    }

    private static double P50(IReadOnlyList<LongTurn> turns) => turns.Count == 0 ? double.NaN : Percentiles.Of([.. turns.Select(t => t.Ttft)], 50);

    /// <summary>Every turn of every conversation on a fresh one-silo cluster; without prefix caching every round also drops every cache.</summary>
    private static async Task<List<LongTurn>> RunAsync(BenchModel model, ServingBenchOptions options, string run, bool prefixCaching, CancellationToken cancellationToken)
    {
        Progress.Report($"longchat ({run}): starting an in-process silo serving {model.Name} with a {MaxSeqLen}-token context");
        await using var cluster = await BenchCluster.StartAsync(model, options.Device, MaxSeqLen, options.Conversations, options.Threads, prefixCaching,
            options.PrefillChunk, options.KvDType, cancellationToken).ConfigureAwait(false);

        // A round of first turns loads the model and runs every path before anything is timed.
        await Task.WhenAll(Enumerable.Range(0, options.Conversations).Select(async c =>
        {
            var warmup = await ConversationTurn.CreateAsync(cluster, $"long-{run}-warmup-{c}", options.ReplyTokens, cancellationToken).ConfigureAwait(false);
            await ConversationTurn.RunAsync(warmup, Prompts.LongChat(options.Conversations + c, 0), cancellationToken).ConfigureAwait(false);
        })).ConfigureAwait(false);
        await cluster.DropAllCachesAsync().ConfigureAwait(false);
        await JitSettle.WaitAsync($"longchat ({run})", cancellationToken).ConfigureAwait(false);

        Progress.Report($"longchat ({run}): {options.Conversations} conversations × {options.LongTurns} turns, {options.ReplyTokens}-token replies");
        var conversations = await Task.WhenAll(Enumerable.Range(0, options.Conversations).Select(c =>
            ConversationTurn.CreateAsync(cluster, $"long-{run}-{c}", options.ReplyTokens, cancellationToken, keepReplyTokens: true))).ConfigureAwait(false);
        var previous = new int[conversations.Length];
        var turns = new List<LongTurn>();
        for (var turn = 1; turn <= options.LongTurns; turn++)
        {
            var number = turn;
            var results = await Task.WhenAll(conversations.Select((conversation, c) => Task.Run(
                () => ConversationTurn.RunAsync(conversation, Prompts.LongChat(c, number - 1), cancellationToken), cancellationToken))).ConfigureAwait(false);
            var round = results.Select((r, c) => new LongTurn(number, r.Timing.TimeToFirstToken * 1000, r.Result.PromptTokens, r.Result.PrefilledTokens,
                Shrunk: r.Result.PromptTokens < previous[c])).ToArray();
            for (var c = 0; c < results.Length; c++)
            {
                previous[c] = results[c].Result.PromptTokens;
            }

            turns.AddRange(round);
            Progress.Report(string.Create(CultureInfo.InvariantCulture,
                $"longchat ({run}): turn {turn}: TTFT p50 {P50(round):F1} ms, prompt {round.Average(t => t.Prompt):F0} tokens, computed {round.Average(t => t.Prefilled):F0} (means), {round.Count(t => t.Shrunk)} shrank"));
            if (!prefixCaching)
            {
                await cluster.DropAllCachesAsync().ConfigureAwait(false);
            }
        }

        return turns;
    }

    /// <summary>One conversation's turn: its time to first token, its prompt, the part of it computed, and whether the context shrank for it.</summary>
    private sealed record LongTurn(int Turn, double Ttft, int Prompt, int Prefilled, bool Shrunk);
}
