using System.Globalization;

namespace Llama.Bench.Serving;

/// <summary>Runs the chosen sections in order, each later one comparing against the earlier figures it needs.</summary>
internal static class ServingBenchRunner
{
    public static async Task<ServingBenchReport> RunAsync(ServingBenchOptions options, CancellationToken cancellationToken)
    {
        var host = HostDescription.Read();
        var paths = BenchPaths.Locate(runCOverride: null);
        var sections = options.Sections;
        // The random 110M model (written on first use) serves every section but the long chats, which use the demo model.
        var model = sections.Any(s => s != ServingBenchOptions.LongChatSection) ? BenchModels.Resolve("110m", paths, cancellationToken) : null;
        var figures = new List<Figure>();

        EngineFigures? engine = null;
        if (sections.Contains(ServingBenchOptions.EngineSection))
        {
            var (engineFigures, reference) = await EngineSection.RunAsync(model!, options, cancellationToken).ConfigureAwait(false);
            figures.AddRange(engineFigures);
            engine = reference;
        }

        if (sections.Contains(ServingBenchOptions.OrleansSection) || sections.Contains(ServingBenchOptions.MultiTurnSection)
            || sections.Contains(ServingBenchOptions.BaselineSection))
        {
            Progress.Report("orleans: starting an in-process silo and a client");
            var conversations = Math.Max(options.Streams, options.Conversations);
            double? reuseLastTtft = null;
            Task<BenchCluster> Start(bool prefixCaching) =>
                BenchCluster.StartAsync(model!, options.Device, BenchEngine.MaxSeqLen, conversations, options.Threads, prefixCaching, options.PrefillChunk, options.KvDType, cancellationToken);
            if (sections.Contains(ServingBenchOptions.OrleansSection) || sections.Contains(ServingBenchOptions.MultiTurnSection))
            {
                await using var cluster = await Start(prefixCaching: true).ConfigureAwait(false);
                if (sections.Contains(ServingBenchOptions.OrleansSection))
                {
                    figures.AddRange(await OrleansSection.RunAsync(cluster, options, engine, cancellationToken).ConfigureAwait(false));
                }

                if (sections.Contains(ServingBenchOptions.MultiTurnSection))
                {
                    var (reuseFigures, lastTtft) = await MultiTurnSection.RunReuseAsync(cluster, options, cancellationToken).ConfigureAwait(false);
                    figures.AddRange(reuseFigures);
                    reuseLastTtft = lastTtft;
                }
            }

            if (sections.Contains(ServingBenchOptions.BaselineSection))
            {
                // The baseline must recompute every turn in full: a silo that shares no prefix blocks, caches dropped each round.
                Progress.Report("baseline: starting a silo without prefix caching for the no-reuse baseline");
                await using var baseline = await Start(prefixCaching: false).ConfigureAwait(false);
                figures.AddRange(await MultiTurnSection.RunBaselineAsync(baseline, options, reuseLastTtft, cancellationToken).ConfigureAwait(false));
            }
        }

        if (sections.Contains(ServingBenchOptions.MemorySection))
        {
            figures.AddRange(await MemorySection.RunAsync(model!, options, cancellationToken).ConfigureAwait(false));
        }

        BenchModel? demo = null;
        if (sections.Contains(ServingBenchOptions.LongChatSection))
        {
            demo = BenchModels.Resolve("260k", paths, cancellationToken);
            figures.AddRange(await LongChatSection.RunAsync(demo, options, cancellationToken).ConfigureAwait(false));
        }

        var invariant = CultureInfo.InvariantCulture;
        var dtype = options.Device == "cpu" ? "float32 on the CPU" : $"default dtype on {options.Device}";
        string[] preamble =
        [
            $"host: {host}",
            .. model is null ? [] : new[] { $"model: {model.Name}, {model.Description}, context {BenchEngine.MaxSeqLen.ToString(invariant)}, {dtype}" },
            .. demo is null ? [] : new[] { $"longchat model: {demo.Name}, {demo.Description}, context {LongChatSection.MaxSeqLen.ToString(invariant)}, {dtype}, {options.LongTurns.ToString(invariant)} turns" },
            string.Create(invariant,
                $"threads {options.Threads}; {options.Streams} streams × {options.Tokens} tokens; {options.Conversations} conversations × {options.Turns} turns of {options.ReplyTokens}-token replies; greedy"),
        ];
        return new ServingBenchReport(SummaryTable.Render(preamble, figures), figures.All(f => f.Target?.Passed != false));
    }
}
