using System.Globalization;

namespace Llama.Bench;

/// <summary>Prepares both engines and the models, measures the host, then runs every model on every engine.</summary>
internal sealed class BenchRunner(BenchOptions options, BenchPaths paths)
{
    public const string Prompt = "Once upon a time";

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(paths.Cache);
        // Read before the bench adds its own load.
        var host = HostDescription.Read();
        RunCRunner? runC = null;
        if (options.Engines.Contains(BenchOptions.RunCEngine))
        {
            runC = new RunCRunner(await RunCBuilder.EnsureBuiltAsync(paths.RunC, paths.Cache, cancellationToken).ConfigureAwait(false));
        }

        EngineCli? ours = null;
        if (options.Engines.Contains(BenchOptions.OursEngine))
        {
            ours = new EngineCli(paths.RepoRoot);
            await ours.BuildAsync(cancellationToken).ConfigureAwait(false);
        }

        var models = options.Models.Select(name => Prepare(BenchModels.Resolve(name, paths, cancellationToken), runC, ours)).ToArray();

        var method = MemoryBandwidth.Description(MemoryBandwidth.DefaultBytes, MemoryBandwidth.DefaultPasses);
        Progress.Report($"host: measuring read bandwidth with {options.Threads} thread(s) ({method})");
        var hostBytesPerSecond = MemoryBandwidth.MeasureBytesPerSecond(
            options.Threads, MemoryBandwidth.DefaultBytes, MemoryBandwidth.DefaultPasses, cancellationToken);
        Progress.Report($"host: {hostBytesPerSecond / 1e9:F1} GB/s");

        var results = new List<BenchResult>();
        foreach (var model in models)
        {
            results.AddRange(await RunModelAsync(model, runC, ours, cancellationToken).ConfigureAwait(false));
        }

        return new BenchReport(host, hostBytesPerSecond, method, options, Prompt, [.. models.Select(m => m.Model)], results);
    }

    /// <summary>
    /// run.c's <c>-n</c> for the same number of generated tokens as our <c>--max-tokens</c>: run.c samples
    /// at every position from the last prompt token on, so n positions yield n − prompt + 1 new tokens.
    /// </summary>
    public static int RunCSteps(int promptTokens, int generatedTokens) => promptTokens + generatedTokens - 1;

    /// <summary>Checks a model's files and token budget before anything is timed.</summary>
    private PreparedModel Prepare(BenchModel model, RunCRunner? runC, EngineCli? ours)
    {
        RequireFile(model.Path, $"{model.Name} model");
        var config = LegacyModelConfig.Read(model.Path);
        int? promptTokens = null;
        if (runC is not null)
        {
            RequireFile(model.RunCTokenizer, $"{model.Name} tokenizer for run.c");
            promptTokens = RunCTokenizer.Load(model.RunCTokenizer, config.VocabSize).Encode(Prompt).Count;
            if (RunCSteps(promptTokens.Value, options.Tokens) > config.SeqLen)
            {
                // run.c would silently cut the run short at its context length.
                throw new BenchException(
                    $"{model.Name}: {promptTokens} prompt + {options.Tokens} generated tokens exceed its context of {config.SeqLen}; use fewer --tokens.");
            }
        }

        if (ours is not null)
        {
            RequireFile(model.EngineTokenizer, $"{model.Name} tokenizer for llama-orleans");
        }

        return new PreparedModel(model, config, promptTokens);
    }

    private async Task<BenchResult[]> RunModelAsync(PreparedModel prepared, RunCRunner? runC, EngineCli? ours, CancellationToken cancellationToken)
    {
        var (model, config, promptTokens) = prepared;
        var runCSamples = new List<double>();
        var oursSamples = new List<double>();

        // Alternate the engines run by run, so slow drift on the host (heat, neighbours) hits both alike.
        for (var run = 1; run <= options.Repeats; run++)
        {
            if (runC is not null)
            {
                var rate = await runC.TokensPerSecondAsync(
                    model.Path, model.RunCTokenizer, Prompt, RunCSteps(promptTokens!.Value, options.Tokens), options.Threads, cancellationToken)
                    .ConfigureAwait(false);
                runCSamples.Add(rate);
                Progress.Report($"{model.Name} run.c {run}/{options.Repeats}: {rate.ToString("F2", CultureInfo.InvariantCulture)} tok/s");
            }

            if (ours is not null)
            {
                var summary = await ours.GenerateAsync(
                    model.Path, model.EngineTokenizer, Prompt, options.Tokens, options.Threads, cancellationToken).ConfigureAwait(false);
                if (promptTokens is { } expected && summary.PromptTokens != expected)
                {
                    throw new BenchException(
                        $"{model.Name}: llama-orleans counted {summary.PromptTokens} prompt tokens, run.c's tokenizer {expected}; the token budgets would differ.");
                }

                oursSamples.Add(summary.DecodeTokensPerSecond);
                Progress.Report(
                    $"{model.Name} llama-orleans {run}/{options.Repeats}: {summary.DecodeTokensPerSecond.ToString("F2", CultureInfo.InvariantCulture)} tok/s, " +
                    $"{summary.GeneratedTokens} tokens, prefill {summary.PrefillMilliseconds.ToString("F1", CultureInfo.InvariantCulture)} ms");
            }
        }

        var results = new List<BenchResult>();
        if (runC is not null)
        {
            results.Add(new BenchResult(model.Name, BenchResult.RunCEngine, options.Threads, runCSamples, config.WeightBytesPerToken));
        }

        if (ours is not null)
        {
            results.Add(new BenchResult(model.Name, BenchResult.OursEngine, options.Threads, oursSamples, config.WeightBytesPerToken));
        }

        return [.. results];
    }

    private static void RequireFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new BenchException($"{what} not found at {path}.");
        }
    }

    /// <param name="PromptTokens">Prompt length by run.c's tokenizer; null when run.c is not benchmarked.</param>
    private sealed record PreparedModel(BenchModel Model, LegacyModelConfig Config, int? PromptTokens);
}
