using System.Globalization;

namespace Llama.Bench;

/// <summary>Command-line options of the bench.</summary>
internal sealed record BenchOptions(
    int Threads, int Repeats, int Tokens, IReadOnlyList<string> Models, IReadOnlyList<string> Engines, string? RunC)
{
    public const string RunCEngine = "runc";

    public const string OursEngine = "ours";

    public static IReadOnlyList<string> KnownModels { get; } = ["110m", "260k"];

    public static IReadOnlyList<string> KnownEngines { get; } = [RunCEngine, OursEngine];

    public static string Usage =>
        $"""
        Usage: dotnet run -c Release --project bench/Llama.Bench -- [options]
          --threads T     threads for both engines and the bandwidth kernel (default: {Environment.ProcessorCount}, the logical CPU count)
          --repeats R     runs per engine and model; the table shows the median (default: 3)
          --tokens M      tokens to generate per run (default: 256)
          --models LIST   comma-separated, from {string.Join(',', KnownModels)} (default: all)
          --engines LIST  comma-separated, from {string.Join(',', KnownEngines)} (default: both)
          --runc PATH     llama2.c's run.c (default: ../shared/baselines/llama2.c/run.c from the repository root)

        Usage: Llama.Bench models [--models LIST]
          writes any missing generated model into .bench/ and prints "name TAB model TAB tokenizer" per model, running no engine
        """;

    /// <summary>Parses the arguments; throws <see cref="BenchException"/> naming the first bad one.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions(Environment.ProcessorCount, 3, 256, KnownModels, KnownEngines, null);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new BenchException(KnownOption(name) ? $"{name} needs a value." : $"Unknown option '{name}'; see --help.");
            }

            var value = args[++i];
            options = name switch
            {
                "--threads" => options with { Threads = Positive(name, value) },
                "--repeats" => options with { Repeats = Positive(name, value) },
                "--tokens" => options with { Tokens = AtLeast(2, name, value) },
                "--models" => options with { Models = List(name, value, KnownModels) },
                "--engines" => options with { Engines = List(name, value, KnownEngines) },
                "--runc" => options with { RunC = value },
                _ => throw new BenchException($"Unknown option '{name}'; see --help."),
            };
        }

        return options;
    }

    private static bool KnownOption(string name) =>
        name is "--threads" or "--repeats" or "--tokens" or "--models" or "--engines" or "--runc";

    private static int Positive(string name, string value) => AtLeast(1, name, value);

    // A decode rate needs at least two generated tokens: both engines time the ones after the first.
    private static int AtLeast(int minimum, string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= minimum
            ? number
            : throw new BenchException($"{name} needs an integer of at least {minimum}, not '{value}'.");

    private static string[] List(string name, string value, IReadOnlyList<string> known)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(item => item.ToLowerInvariant())
            .Distinct()
            .ToArray();
        var unknown = items.Where(item => !known.Contains(item)).ToArray();
        if (items.Length == 0 || unknown.Length > 0)
        {
            throw new BenchException($"{name} takes a comma-separated list from {string.Join(',', known)}, not '{value}'.");
        }

        return items;
    }
}
