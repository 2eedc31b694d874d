using System.Globalization;
using Llama.Model;
using Llama.Serving;
using Llama.Tokenization;

namespace Llama.Bench.Serving;

/// <summary>
/// Section 4: KV memory. <see cref="ServingBenchOptions.Conversations"/> conversations ×
/// <see cref="ServingBenchOptions.Turns"/> turns on the engine, every conversation sending its next turn together
/// with the others; after each round, the engine's statistics give the KV bytes used per token held. Then the same
/// conversations on an engine whose KV budget is smaller than all their caches (half of what the first run held,
/// or <c>--kv-budget</c>): the engine must evict, conversations recompute after a miss, and every reply must still
/// equal the first run's greedy reply. The unconstrained run also times decode steps at turn 1 and turn T: every
/// conversation decodes together, each step one row per conversation reading its whole K/V history, so the step time
/// grows with the history, less with a 16-bit cache (<c>--kv-dtype</c>).
/// </summary>
internal static class MemorySection
{
    private const string Section = ServingBenchOptions.MemorySection;

    public static async Task<IReadOnlyList<Figure>> RunAsync(BenchModel model, ServingBenchOptions options, CancellationToken cancellationToken)
    {
        var workload = Workload.Build(TokenizerLoader.Load(model.EngineTokenizer), options);
        Progress.Report($"memory: unconstrained KV cache, {options.Conversations} conversations × {options.Turns} turns, context {workload.MaxSeqLen}");
        Run unconstrained;
        long kvBytesPerToken;
        long sequenceBytes;
        string kvType;
        using (var bench = BenchEngine.Load(model, options.Device, options.Threads, options.Conversations, workload.MaxSeqLen, kvCacheBytes: null, options.KvDType))
        {
            kvBytesPerToken = bench.Llama.Model.Cache.BytesPerToken;
            kvType = bench.Llama.Model.Cache.DType.ToString().ToLowerInvariant();
            sequenceBytes = bench.Llama.Model.BlocksPerSequence * bench.Llama.Model.Cache.BytesPerBlock;
            unconstrained = await RunAsync(bench, workload, options, "unconstrained", cancellationToken).ConfigureAwait(false);
        }

        var held = unconstrained.Last;
        // The engine needs room for one sequence at full length whatever the budget.
        var budget = options.KvBudget ?? Math.Max(held.UsedBytes / 2, sequenceBytes);
        Progress.Report(string.Create(CultureInfo.InvariantCulture,
            $"memory: KV budget {budget / 1048576.0:F1} MiB against {held.UsedBytes / 1048576.0:F1} MiB of caches held unconstrained"));
        if (budget >= held.UsedBytes)
        {
            Progress.Report("memory: WARNING: the budget holds every cache, so nothing needs evicting; use more --conversations or --turns, or a smaller --kv-budget");
        }

        Run constrained;
        using (var bench = BenchEngine.Load(model, options.Device, options.Threads, options.Conversations, workload.MaxSeqLen, budget, options.KvDType))
        {
            constrained = await RunAsync(bench, workload, options, "constrained", cancellationToken).ConfigureAwait(false);
        }

        var wrong = CountDifferences(unconstrained.Conversations, constrained.Conversations);
        var first = unconstrained.Rounds[0];
        var turns = options.Turns.ToString(CultureInfo.InvariantCulture);
        // Meta's static cache reserves the model's whole context for every sequence, however short.
        var staticBytesPerToken = (double)options.Conversations * BenchEngine.MaxSeqLen * kvBytesPerToken / held.TokensHeld;
        return
        [
            new Figure(Section, $"decode step, turn 1, {kvType} KV ({first.HistoryTokens:F0} tokens of history)", first.DecodeStepMs, "ms"),
            new Figure(Section, $"decode step, turn {turns}, {kvType} KV ({held.HistoryTokens:F0} tokens of history)", held.DecodeStepMs, "ms",
                Target.Versus(held.DecodeStepMs, "turn 1", first.DecodeStepMs)),
            new Figure(Section, $"K+V bytes per token ({kvType})", kvBytesPerToken, "B"),
            new Figure(Section, "KV bytes used per token held, turn 1", first.BytesPerToken, "B", OneBlockPerSequence(first, kvBytesPerToken)),
            new Figure(Section, $"KV bytes used per token held, turn {turns}", held.BytesPerToken, "B", OneBlockPerSequence(held, kvBytesPerToken)),
            new Figure(Section, $"static cache (full context) bytes per token held, turn {turns}", staticBytesPerToken, "B",
                Target.Versus(staticBytesPerToken, "K+V per token", kvBytesPerToken)),
            new Figure(Section, "KV budget of the constrained run", budget / 1048576.0, "MiB",
                Target.Versus(budget, "caches held unconstrained", held.UsedBytes)),
            new Figure(Section, "evictions, constrained", constrained.Last.Evictions, "", Target.Above(constrained.Last.Evictions, 0)),
            new Figure(Section, "preemptions, constrained", constrained.Last.Preemptions, ""),
            new Figure(Section, "turns recomputed after a miss, constrained", constrained.Conversations.Sum(c => c.Misses), ""),
            new Figure(Section, "failed conversations, constrained", constrained.Failed, "", Target.EqualTo(constrained.Failed, 0)),
            new Figure(Section, "replies differing from unconstrained", wrong, "", Target.EqualTo(wrong, 0)),
        ];
    }

    private static async Task<Run> RunAsync(BenchEngine bench, Workload workload, ServingBenchOptions options, string run, CancellationToken cancellationToken)
    {
        var conversations = Enumerable.Range(0, options.Conversations).Select(c => new EngineConversation($"memory-{c}")).ToArray();
        var failed = new bool[conversations.Length];
        var rounds = new List<Snapshot>();
        var blockBytes = bench.Llama.Model.Cache.BytesPerBlock;
        for (var turn = 0; turn < options.Turns; turn++)
        {
            var turnIndex = turn;
            await Task.WhenAll(conversations.Select(async (conversation, c) =>
            {
                if (failed[c])
                {
                    return;
                }

                try
                {
                    await conversation.TurnAsync(bench.Engine, workload.UserTokens[c][turnIndex], options.ReplyTokens, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failed[c] = true;
                    Progress.Report($"memory ({run}): {conversation.Id} failed at turn {turnIndex + 1}: {e.Message}");
                }
            })).ConfigureAwait(false);

            // All conversations decode together: one step per token of each, so a conversation's time per token is the step's.
            var stepMs = Median(conversations.Where((_, c) => !failed[c]).Select(c => 1000 / c.Timings[^1].DecodeRate).Where(double.IsFinite));
            var snapshot = new Snapshot(bench.Engine.Statistics(), blockBytes, stepMs, (double)bench.Engine.Statistics().TokensHeld / conversations.Length);
            rounds.Add(snapshot);
            Progress.Report(string.Create(CultureInfo.InvariantCulture,
                $"memory ({run}): turn {turn + 1}: {snapshot.TokensHeld} tokens held in {snapshot.KvBlocksUsed} blocks, {snapshot.BytesPerToken:F0} B/token, {snapshot.Evictions} evictions, {snapshot.Preemptions} preemptions, decode step {snapshot.DecodeStepMs:F1} ms"));
        }

        return new Run(conversations, rounds, failed.Count(f => f));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : Percentiles.Of(sorted, 50);
    }

    /// <summary>Replies that differ, a missing reply (its conversation failed) counting as different.</summary>
    private static int CountDifferences(IReadOnlyList<EngineConversation> expected, IReadOnlyList<EngineConversation> actual) =>
        expected.Zip(actual).Sum(pair => pair.First.Replies.Zip(pair.Second.Replies).Count(r => !r.First.SequenceEqual(r.Second))
            + Math.Abs(pair.First.Replies.Count - pair.Second.Replies.Count));

    /// <summary>
    /// Memory follows tokens when every cached sequence wastes at most its last, partly filled block: used bytes per
    /// token at most 1 + block size × sequences / tokens held times the model's K+V bytes per token.
    /// </summary>
    private static Target OneBlockPerSequence(Snapshot snapshot, long kvBytesPerToken) =>
        Target.AtMostTimes(snapshot.BytesPerToken,
            1 + ((double)snapshot.KvBlockSize * snapshot.CachedSequences / snapshot.TokensHeld), "K+V per token", kvBytesPerToken);

    /// <summary>Every conversation's user turns as tokens, and the context the longest conversation needs.</summary>
    private sealed record Workload(IReadOnlyList<int>[][] UserTokens, int MaxSeqLen)
    {
        public static Workload Build(ITokenizer tokenizer, ServingBenchOptions options)
        {
            var userTokens = Enumerable.Range(0, options.Conversations)
                .Select(c => Enumerable.Range(0, options.Turns)
                    .Select(t => EngineConversation.UserTokens(tokenizer, Prompts.Turn(c, t), first: t == 0))
                    .ToArray())
                .ToArray();
            var longest = userTokens.Max(turns => turns.Sum(t => t.Count)) + (options.Turns * options.ReplyTokens);
            if (longest > BenchEngine.MaxSeqLen)
            {
                throw new BenchException(
                    $"{options.Turns} turns of {options.ReplyTokens}-token replies reach {longest} tokens, beyond the model's {BenchEngine.MaxSeqLen}; use fewer --turns or --reply-tokens.");
            }

            // Sized to the conversations, so a small run's budget can still be below all caches and above one sequence.
            var blockSize = new EngineOptions().KvBlockSize;
            return new Workload(userTokens, (longest + blockSize - 1) / blockSize * blockSize);
        }
    }

    /// <summary>The engine's KV figures after a round of turns.</summary>
    /// <param name="DecodeStepMs">Median time per token of the round's replies (the time of a step decoding them all).</param>
    /// <param name="HistoryTokens">Tokens each conversation holds after the round, on average.</param>
    private sealed record Snapshot(
        long TokensHeld, long KvBlocksUsed, int KvBlockSize, long BytesPerBlock, long CachedSequences, long Evictions, long Preemptions,
        double DecodeStepMs, double HistoryTokens)
    {
        public Snapshot(ServingStatistics statistics, long bytesPerBlock, double decodeStepMs, double historyTokens)
            : this(statistics.TokensHeld, statistics.KvBlocksUsed, statistics.KvBlockSize, bytesPerBlock, statistics.CachedSequences, statistics.Evictions,
                statistics.Preemptions, decodeStepMs, historyTokens)
        {
        }

        public long UsedBytes => KvBlocksUsed * BytesPerBlock;

        public double BytesPerToken => TokensHeld == 0 ? double.NaN : (double)UsedBytes / TokensHeld;
    }

    private sealed record Run(EngineConversation[] Conversations, List<Snapshot> Rounds, int Failed)
    {
        public Snapshot Last => Rounds[^1];
    }
}
