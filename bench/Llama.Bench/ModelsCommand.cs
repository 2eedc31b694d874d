namespace Llama.Bench;

/// <summary>
/// <c>Llama.Bench models [--models LIST]</c>: prepares the bench's models without running any engine (writing
/// the random 110M one into the cache if missing) and prints one line per model, "name TAB model TAB tokenizer",
/// the tokenizer being the one llama-orleans reads. Hosts without the .NET SDK run the CLI on them themselves
/// (build/cuda-device-check.sh).
/// </summary>
internal static class ModelsCommand
{
    public const string Name = "models";

    public static void Run(IReadOnlyList<string> args, TextWriter stdout, CancellationToken cancellationToken)
    {
        var options = BenchOptions.Parse(args);
        var paths = BenchPaths.Locate(options.RunC);
        Directory.CreateDirectory(paths.Cache);
        foreach (var name in options.Models)
        {
            var model = BenchModels.Resolve(name, paths, cancellationToken);
            stdout.WriteLine($"{model.Name}\t{model.Path}\t{model.EngineTokenizer}");
        }
    }
}
