using System.Globalization;
using LlamaOrleans.Testing.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Bench.Load;

/// <summary>Command line of the load benchmark.</summary>
internal sealed record LoadBenchOptions(string? Path, int SizeMegabytes, ScalarType Type, bool Keep)
{
    /// <summary>The "small constant" of the bound: staging buffer, allocator slack, runtime noise.</summary>
    public const long Slack = 64L << 20;

    public const string Usage =
        "usage: Llama.Bench.Load [PATH] [--size-mb N] [--type float32|bfloat16|float16] [--keep]\n" +
        "  PATH       a checkpoint (any supported format); omitted: a synthetic bfloat16 Meta checkpoint\n" +
        "  --size-mb  size of the synthetic checkpoint (default 1024)\n" +
        "  --type     element type to load into (default float32)\n" +
        "  --keep     keep the synthetic checkpoint's folder";

    public static LoadBenchOptions Parse(string[] args)
    {
        var options = new LoadBenchOptions(null, 1024, ScalarType.Float32, false);
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--size-mb" => options with { SizeMegabytes = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture) },
                "--type" => options with { Type = ParseType(Value(args, ref i)) },
                "--keep" => options with { Keep = true },
                var a when a.StartsWith('-') => throw new ArgumentException($"unknown option {a}"),
                var a when options.Path is null => options with { Path = a },
                var a => throw new ArgumentException($"unexpected argument {a}"),
            };
        }

        return options.SizeMegabytes >= 16 ? options : throw new ArgumentException("--size-mb must be at least 16");
    }

    /// <summary>Dimensions giving a bfloat16 checkpoint of about <paramref name="megabytes"/> MB: dim 2048 layers of ~103 MB.</summary>
    public static SyntheticParams SyntheticFor(int megabytes)
    {
        const int Dim = 2048, Vocab = 16000, MultipleOf = 256;
        var hidden = MultipleOf * ((((int)(2 * 4 * Dim / 3.0)) + MultipleOf - 1) / MultipleOf);
        long layerBytes = 2L * ((4L * Dim * Dim) + (3L * Dim * hidden));
        long fixedBytes = 2L * 2 * Vocab * Dim;
        var layers = (int)Math.Max(1, Math.Round(((megabytes * 1_000_000L) - fixedBytes) / (double)layerBytes));
        return new SyntheticParams(Dim, layers, Heads: 16, KvHeads: 16, Vocab, MultipleOf);
    }

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static ScalarType ParseType(string name) => name switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        _ => throw new ArgumentException($"unknown type {name}"),
    };
}
