using System.Diagnostics;
using LlamaOrleans.Testing;

namespace Llama.Bench;

/// <summary>The models <c>--models</c> names, writing the random 110M one into the cache on first use.</summary>
internal static class BenchModels
{
    // Changing the seed (or the writer) must change the file name, so a stale cached model is never reused.
    private const ulong Seed110M = 110;

    public static BenchModel Resolve(string name, BenchPaths paths, CancellationToken cancellationToken) => name switch
    {
        "110m" => new BenchModel(
            name,
            "random weights, llama2.c 110M shape (dim 768, 12 layers, 12 heads, vocab 32000)",
            EnsureRandom110M(paths.Cache, cancellationToken),
            paths.RunCLlama2Tokenizer,
            TestData.Llama2Tokenizer),
        "260k" => new BenchModel(
            name,
            "stories260K (dim 64, 5 layers, 8 heads, 4 KV heads, vocab 512)",
            TestData.Model,
            TestData.Tok512,
            TestData.Tok512),
        _ => throw new BenchException($"Unknown model '{name}'; known: {string.Join(',', BenchOptions.KnownModels)}."),
    };

    private static string EnsureRandom110M(string cache, CancellationToken cancellationToken)
    {
        var config = LegacyModelConfig.Shape110M;
        var path = Path.Combine(cache, $"random-110m-seed{Seed110M}.bin");
        if (File.Exists(path) && new FileInfo(path).Length == config.FileBytes)
        {
            Progress.Report($"110m: reusing {path}");
            return path;
        }

        Progress.Report($"110m: writing {config.FileBytes / 1e6:F0} MB random model to {path}");
        Directory.CreateDirectory(cache);
        var clock = Stopwatch.StartNew();
        RandomModelWriter.WriteFile(path, config, Seed110M, cancellationToken);
        Progress.Report($"110m: written in {clock.Elapsed.TotalSeconds:F1} s");
        return path;
    }
}
