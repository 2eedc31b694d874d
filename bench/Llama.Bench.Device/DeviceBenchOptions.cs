using System.Globalization;
using Llama.Model;

namespace Llama.Bench.Device;

/// <summary>The command line of the device bench.</summary>
internal sealed record DeviceBenchOptions
{
    public const string Usage = """
        Llama.Bench.Device: the serving engine on one device, every figure a ratio to one measured in the same run.
          --device D          cuda, cuda:N or cpu (default cuda)
          --shape S           7b (Llama-2-7B: dim 4096, 32 layers, 32 heads, hidden 11008, vocab 32000, max_seq_len 4096)
                              or small (dim 256, 4 layers, for trying the bench on a CPU); default 7b
          --contexts A,B      one-stream decode contexts (default 128,2000)
          --streams N         concurrent streams of the aggregate figure (default 32)
          --tokens N          decode tokens timed per stream (default 64)
          --prefill N         prompt tokens of the prefill figure (default 2000)
          --peak-tflops X     the device's nominal dense bf16 peak, for the prefill fraction (default: measured GEMM only)
          --compare-cpu       also time the 110M shape on this device against the CPU (all cores)
          --threads N         CPU threads of the comparison (default all cores)
          --batch-check M     a llama2.c model (e.g. models/stories260K.bin): float32 greedy streams batched
                              together must equal the same streams run one at a time
          --tsv PATH          also write every figure as tab-separated lines
        """;

    public string Device { get; init; } = "cuda";

    public string Shape { get; init; } = "7b";

    public IReadOnlyList<int> Contexts { get; init; } = [128, 2000];

    public int Streams { get; init; } = 32;

    public int Tokens { get; init; } = 64;

    public int Prefill { get; init; } = 2000;

    public double? PeakTflops { get; init; }

    public bool CompareCpu { get; init; }

    public int Threads { get; init; } = Environment.ProcessorCount;

    public string? BatchCheck { get; init; }

    public string? Tsv { get; init; }

    /// <summary>The model shape and the context it is built for.</summary>
    public (ModelArgs Args, int MaxSeqLen) ModelShape => Shape switch
    {
        "7b" => (new ModelArgs { Dim = 4096, NLayers = 32, NHeads = 32, VocabSize = 32000, ExplicitHiddenDim = 11008 }, 4096),
        // Vocabulary 512: tok512.bin's, so the device check's silo step serves the same shape with a tokenizer.
        "small" => (new ModelArgs { Dim = 256, NLayers = 4, NHeads = 8, NKvHeads = 4, VocabSize = 512, ExplicitHiddenDim = 688 }, 1024),
        _ => throw new BenchException($"--shape must be 7b or small, got '{Shape}'."),
    };

    /// <summary>The bench's random 110M model shape (llama2.c's stories110M).</summary>
    public static (ModelArgs Args, int MaxSeqLen) Shape110M =>
        (new ModelArgs { Dim = 768, NLayers = 12, NHeads = 12, VocabSize = 32000, ExplicitHiddenDim = 2048 }, 1024);

    public static DeviceBenchOptions Parse(string[] args)
    {
        var options = new DeviceBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--compare-cpu")
            {
                options = options with { CompareCpu = true };
                continue;
            }

            var value = i + 1 < args.Length ? args[i + 1] : throw new BenchException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--device" => options with { Device = value },
                "--shape" => options with { Shape = value },
                "--contexts" => options with { Contexts = [.. value.Split(',').Select(v => Positive(v, "--contexts"))] },
                "--streams" => options with { Streams = Positive(value, "--streams") },
                "--tokens" => options with { Tokens = Positive(value, "--tokens") },
                "--prefill" => options with { Prefill = Positive(value, "--prefill") },
                "--peak-tflops" => options with
                {
                    PeakTflops = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var peak) && peak > 0
                        ? peak
                        : throw new BenchException($"--peak-tflops must be a positive number, got '{value}'."),
                },
                "--threads" => options with { Threads = Positive(value, "--threads") },
                "--tsv" => options with { Tsv = value },
                "--batch-check" => options with { BatchCheck = value },
                _ => throw new BenchException($"Unknown option {args[i]}; see bench/README.md."),
            };
            i++;
        }

        _ = options.ModelShape;
        var (_, maxSeqLen) = options.ModelShape;
        if (options.Contexts.Append(options.Prefill).Any(c => c + options.Tokens + 1 > maxSeqLen))
        {
            throw new BenchException($"Contexts and the prefill prompt plus --tokens must fit the shape's max_seq_len {maxSeqLen}.");
        }

        return options;
    }

    private static int Positive(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new BenchException($"{option} must be a positive integer, got '{value}'.");
}
