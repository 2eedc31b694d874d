using System.Globalization;
using Llama.Bench;

namespace Llama.Bench.Http;

/// <summary>The command line of the HTTP bench.</summary>
internal sealed record HttpBenchOptions
{
    public string Model { get; init; } = "260k";

    public IReadOnlyList<int> Concurrency { get; init; } = [1, 32];

    public int Turns { get; init; } = 4;

    public int MaxTokens { get; init; } = 64;

    public int Repeats { get; init; } = 3;

    public int Threads { get; init; } = Environment.ProcessorCount;

    public string Device { get; init; } = "cpu";

    public static HttpBenchOptions Parse(string[] args)
    {
        var options = new HttpBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new BenchException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--model" => options with { Model = value },
                "--concurrency" => options with { Concurrency = [.. value.Split(',').Select(v => Positive(v, "--concurrency"))] },
                "--turns" => options with { Turns = Positive(value, "--turns") },
                "--max-tokens" => options with { MaxTokens = Positive(value, "--max-tokens") },
                "--repeats" => options with { Repeats = Positive(value, "--repeats") },
                "--threads" => options with { Threads = Positive(value, "--threads") },
                "--device" => options with { Device = value },
                _ => throw new BenchException($"Unknown option {args[i]}; see bench/README.md."),
            };
            i++;
        }

        return options;
    }

    private static int Positive(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new BenchException($"{option} must be a positive integer, got '{value}'.");
}
