using System.Globalization;
using Llama.Bench;

namespace Llama.Bench.Parallel;

/// <summary>Command-line options of the parallel bench.</summary>
internal sealed record ParallelBenchOptions(string Model, int Tokens, int ChunkRows, int Threads)
{
    public const string Usage =
        "Llama.Bench.Parallel [--model 110m|260k] [--tokens N] [--chunk-rows R] [--threads T]\n" +
        "  --model       model shape to split in two (default 110m: random weights, llama2.c 110M shape)\n" +
        "  --tokens      decode steps timed per layout (default 32)\n" +
        "  --chunk-rows  rows of the prefill-chunk steps that carry 70B-sized activations (default 11: 11 x 768 floats ~ 8192 floats)\n" +
        "  --threads     CPU threads of every engine and shard (default 1)";

    public static ParallelBenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ParallelBenchOptions("110m", 32, 11, 1);
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new BenchException($"{args[i]} needs a value.");
            int Positive(string text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 1
                ? v
                : throw new BenchException($"{args[i - 1]} needs a positive integer, got '{text}'.");
            options = args[i] switch
            {
                "--model" => options with { Model = Value() },
                "--tokens" => options with { Tokens = Positive(Value()) },
                "--chunk-rows" => options with { ChunkRows = Positive(Value()) },
                "--threads" => options with { Threads = Positive(Value()) },
                _ => throw new BenchException($"Unknown option '{args[i]}'.\n{Usage}"),
            };
        }

        return options;
    }
}
