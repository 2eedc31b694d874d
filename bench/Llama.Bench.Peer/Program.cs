using System.Globalization;
using Llama.Bench;
using Llama.Bench.Peer;
using Llama.Kernels;
using Llama.Model;
using LLama.Native;
using LlamaOrleans.Testing.Checkpoints;

// Ours against llama.cpp (LLamaSharp) on the same GGUF files of the 110M shape: F32, Q8_0 and Q4_K_M; see bench/README.md.
const string Usage =
    "Llama.Bench.Peer [--threads 2] [--prompt 128] [--decode 32] [--streams 32] [--runs 2] [--folder PATH]\n" +
    "  Writes a seeded random 110M-shape model as F32 GGUF, quantizes it with llama.cpp to Q8_0 and Q4_K_M, then\n" +
    "  alternates runs of the engine and llama.cpp on each file and prints tokens/s and ours/llama.cpp ratios.\n" +
    "Llama.Bench.Peer --7b [--threads 2] [--prompt 128] [--decode 32]\n" +
    "  Writes a seeded random 7B-shape Q4_K GGUF (about 3.8 GB) into a temporary folder, loads and decodes it with the\n" +
    "  engine, and prints resident memory, tok/s and the share of the host's read bandwidth; the file is deleted after.\n" +
    "Llama.Bench.Peer --kernels\n" +
    "  Times the Q8_0, Q4_K and Q6_K block kernels on one thread: 32 inputs in tiles against one input at a time, the\n" +
    "  row kernels and (with AVX-VNNI) the eight-row panel kernels.";
return await BenchMain.RunAsync(args, Usage, cancellationToken =>
{
    int Option(string name, int fallback)
    {
        var at = Array.IndexOf(args, $"--{name}");
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    var at = Array.IndexOf(args, "--folder");
    var folder = at >= 0 && at + 1 < args.Length ? args[at + 1] : Path.Combine(Path.GetTempPath(), "llama-bench-peer");
    int threads = Option("threads", 2), promptLength = Option("prompt", 128), decode = Option("decode", 32), streams = Option("streams", 32), runs = Option("runs", 2);
    if (args.Contains("--kernels"))
    {
        KernelRunner.Run(cancellationToken);
        return Task.FromResult(0);
    }

    if (args.Contains("--7b"))
    {
        SevenBRunner.Run(threads, promptLength, decode, cancellationToken);
        return Task.FromResult(0);
    }

    Directory.CreateDirectory(folder);

    var shape = new ModelArgs { Dim = 768, NLayers = 12, NHeads = 12, ExplicitHiddenDim = 2048, VocabSize = 32000, TrainedSeqLen = 1024 };
    var f32 = Path.Combine(folder, "random110M-F32.gguf");
    if (!File.Exists(f32))
    {
        Console.Error.WriteLine($"writing {f32}");
        GgufModels.WriteRandom(f32, shape, GgufModels.SyntheticVocabulary(shape.VocabSize), seed: 1, WeightType.F32);
    }

    // The quantizer's first call would bypass LLamaSharp's choice of native build (AVX2, AVX-512): load it first.
    NativeApi.llama_empty_call();
    var files = new List<(string Name, string Path)> { ("F32", f32) };
    foreach (var (name, type) in new[] { ("Q8_0", LLamaFtype.MOSTLY_Q8_0), ("Q4_K_M", LLamaFtype.MOSTLY_Q4_K_M) })
    {
        var path = Path.Combine(folder, $"random110M-{name}.gguf");
        if (!File.Exists(path) && !LLama.LLamaQuantizer.Quantize(f32, path, type, threads))
        {
            throw new BenchException($"llama.cpp could not quantize to {name}.");
        }

        files.Add((name, path));
    }

    var random = new Random(3);
    int[] prompt = [1, .. Enumerable.Range(0, promptLength - 1).Select(_ => random.Next(259, shape.VocabSize))];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"110M shape, {threads} threads, prompt {promptLength}, decode {decode}, {streams} streams; best of {runs} alternating runs"));
    Console.WriteLine("type     file MiB  prefill ours/cpp tok/s   ratio   decode ours/cpp tok/s   ratio   x{0} ours/cpp tok/s   ratio".Replace("{0}", streams.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    foreach (var (name, path) in files)
    {
        cancellationToken.ThrowIfCancellationRequested();
        PeerRunner.Timing? ours = null, theirs = null;
        for (var run = 0; run < runs; run++)
        {
            ours = Best(ours, PeerRunner.Ours(path, prompt, decode, streams, threads));
            theirs = Best(theirs, PeerRunner.LlamaCpp(path, prompt, decode, streams, threads));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-8} {new FileInfo(path).Length / 1048576.0,8:F0}  {ours!.PrefillTokensPerSecond,8:F1}/{theirs!.PrefillTokensPerSecond,-8:F1} {ours.PrefillTokensPerSecond / theirs.PrefillTokensPerSecond,7:F2}" +
            $"   {ours.DecodeTokensPerSecond,8:F1}/{theirs.DecodeTokensPerSecond,-8:F1} {ours.DecodeTokensPerSecond / theirs.DecodeTokensPerSecond,7:F2}" +
            $"   {ours.BatchedTokensPerSecond,8:F1}/{theirs.BatchedTokensPerSecond,-8:F1} {ours.BatchedTokensPerSecond / theirs.BatchedTokensPerSecond,7:F2}"));
    }

    return Task.FromResult(0);
}).ConfigureAwait(false);

static PeerRunner.Timing Best(PeerRunner.Timing? a, PeerRunner.Timing b) => a is null ? b : new(
    Math.Max(a.PrefillTokensPerSecond, b.PrefillTokensPerSecond),
    Math.Max(a.DecodeTokensPerSecond, b.DecodeTokensPerSecond),
    Math.Max(a.BatchedTokensPerSecond, b.BatchedTokensPerSecond));
