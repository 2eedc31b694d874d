using System.Globalization;
using Llama.Checkpoints;
using Llama.Model;
using Llama.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Bench.Device;

/// <summary>
/// The device bench: the device's copy bandwidth and GEMM rate, then a random model of the chosen shape created on
/// the device and run by the serving engine (one stream at each context, many streams, a long prefill, CUDA graphs off
/// and on), optionally the 110M shape against the CPU and a batched-against-alone greedy check.
/// </summary>
internal static class DeviceBenchRunner
{
    private const ulong Seed = 20;

    public static async Task<DeviceBenchReport> RunAsync(DeviceBenchOptions options, CancellationToken cancellationToken)
    {
        var report = new DeviceBenchReport();
        var device = Resolve(options.Device);
        var cudaDevice = device.type == DeviceType.CUDA;
        var type = cudaDevice ? ScalarType.BFloat16 : ScalarType.Float32;
        Console.WriteLine($"device {options.Device}, shape {options.Shape}, compute {type}");

        var copy = DeviceTimings.CopyBandwidth(device, cudaDevice ? 1L << 30 : 64L << 20);
        report.Add(new DeviceFigure("device-to-device copy bandwidth (read + write)", copy / 1e9, "GB/s", "the decode fractions' baseline", "info"));
        var gemm = DeviceTimings.GemmRate(device, cudaDevice ? 8192 : 512, type);
        report.Add(new DeviceFigure($"dense GEMM rate, {type}", gemm / 1e12, "TFLOP/s",
            options.PeakTflops is { } peak ? Percent(gemm / 1e12 / peak, $"of the nominal {peak} TFLOP/s") : "no nominal peak given", "info"));

        await ModelSectionAsync(options, device, type, copy, gemm, report, cancellationToken).ConfigureAwait(false);
        if (options.CompareCpu)
        {
            await CompareCpuAsync(options, report, cancellationToken).ConfigureAwait(false);
            LogitsAgreement(options, report);
        }

        if (options.BatchCheck is { } model)
        {
            await BatchCheckAsync(options, model, report, cancellationToken).ConfigureAwait(false);
        }

        return report;
    }

    private static torch.Device Resolve(string device)
    {
        try
        {
            return new EngineOptions { Device = device }.ResolveDevice();
        }
        catch (ArgumentException e)
        {
            throw new BenchException(e.Message);
        }
    }

    private static string Percent(double fraction, string of) => string.Create(CultureInfo.InvariantCulture, $"= {fraction * 100:F1}% {of}");

    private static string Times(double ratio, string of) => string.Create(CultureInfo.InvariantCulture, $"= {ratio:F2}× {of}");

    /// <summary>Bytes of every weight a decode step reads: the blocks' matrices and norms, the final norm and the classifier.</summary>
    private static long WeightBytes(ModelArgs args, ScalarType type)
    {
        long dim = args.Dim, kvDim = (long)args.KvHeads * args.HeadDim, hidden = args.HiddenDim;
        var perLayer = (2 * dim * dim) + (2 * kvDim * dim) + (3 * dim * hidden) + (2 * dim);
        return ((args.NLayers * perLayer) + (args.VocabSize * dim) + dim) * (type == ScalarType.Float32 ? 4 : 2);
    }

    private static EngineOptions ModelOptions(DeviceBenchOptions options, torch.Device device, int sequences) => new()
    {
        Device = options.Device,
        Threads = options.Threads,
        // On the CPU the bench tries the tensor path a GPU runs, not the engine's CPU kernels.
        CpuKernels = false,
        KvCacheMemoryFraction = device.type == DeviceType.CUDA ? 0.6 : null,
        KvCacheSequences = device.type == DeviceType.CUDA ? null : sequences + 2,
    };

    private static async Task ModelSectionAsync(DeviceBenchOptions options, torch.Device device, ScalarType type, double copy, double gemm,
        DeviceBenchReport report, CancellationToken cancellationToken)
    {
        var (args, maxSeqLen) = options.ModelShape;
        var cudaDevice = device.type == DeviceType.CUDA;
        Progress.Report($"creating the random {options.Shape} model on {options.Device}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var model = CreateModel(options, device, report);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model {options.Shape}: dim {args.Dim}, {args.NLayers} layers, {args.NHeads} heads, hidden {args.HiddenDim}, vocab {args.VocabSize}, " +
            $"max_seq_len {maxSeqLen}, {model.Cache.BlockCount} KV blocks of {model.Cache.BlockSize}, created in {clock.Elapsed.TotalSeconds:F1} s; " +
            $"CUDA graphs {model.DecodeGraphsStatus}"));
        using var engine = new ServingEngine(model, new HashSet<int>(), new ServingOptions
        {
            MaxBatchSequences = options.Streams,
            PrefillChunkTokens = Math.Max(options.Prefill, 512),
            PrefixCaching = false,
        });

        var weightBytes = WeightBytes(args, type);
        var kvPerToken = KvBlockPool.BytesPerTokenOf(args, type);
        var prompt = 0;
        int[] NextPrompt(int length) => EngineStreams.Prompt(length, args.VocabSize, prompt++);
        var modes = model.DecodeGraphs is null ? new[] { false } : [false, true];
        var tokensByMode = new Dictionary<bool, int[]>();
        // Seconds per decode step by (streams, context), of the last mode timed: the history gather's baseline.
        var stepSeconds = new Dictionary<(int Streams, int Context), double>();
        foreach (var graphs in modes)
        {
            model.ReplayGraphs = graphs;
            var mode = model.DecodeGraphs is null ? "eager" : graphs ? "graphs on" : "graphs off";
            var targeted = cudaDevice && (graphs || model.DecodeGraphs is null);
            double? single = null;
            foreach (var context in options.Contexts)
            {
                // The first run captures this context's graphs and warms every kernel; the second is timed.
                await EngineStreams.RunAsync(engine, "warm", NextPrompt(context), options.Tokens, cancellationToken).ConfigureAwait(false);
                engine.DropAll();
                var run = await EngineStreams.RunAsync(engine, "timed", NextPrompt(context), options.Tokens, cancellationToken).ConfigureAwait(false);
                engine.DropAll();
                single ??= run.DecodeRate;
                stepSeconds[(1, context)] = 1 / run.DecodeRate;
                tokensByMode[graphs] = tokensByMode.GetValueOrDefault(graphs) ?? run.Tokens;
                var bytesPerStep = weightBytes + (kvPerToken * (context + (options.Tokens / 2)));
                var fraction = run.DecodeRate * bytesPerStep / copy;
                report.Add(new DeviceFigure($"{options.Shape} 1-stream decode, context {context}, {mode}", run.DecodeRate, "tok/s",
                    Percent(fraction, string.Create(CultureInfo.InvariantCulture, $"of copy bandwidth ({bytesPerStep / 1e9:F2} GB per step; target ≥ 60%)")),
                    targeted ? DeviceFigure.Against(fraction, 0.60) : "info"));
            }

            var prompts = Enumerable.Range(0, options.Streams).Select(_ => (IReadOnlyList<int>)NextPrompt(options.Contexts[0])).ToArray();
            await EngineStreams.RunManyAsync(engine, "warm", prompts, Math.Min(options.Tokens, 8), cancellationToken).ConfigureAwait(false);
            engine.DropAll();
            var (_, aggregate) = await EngineStreams.RunManyAsync(engine, "streams", prompts, options.Tokens, cancellationToken).ConfigureAwait(false);
            engine.DropAll();
            var ratio = aggregate / single!.Value;
            stepSeconds[(options.Streams, options.Contexts[0])] = options.Streams / aggregate;
            report.Add(new DeviceFigure($"{options.Shape} {options.Streams}-stream aggregate decode, context {options.Contexts[0]}, {mode}", aggregate, "tok/s",
                Times(ratio, "1 stream (target ≥ 12×)"), targeted ? DeviceFigure.Against(ratio, 12) : "info"));
        }

        if (tokensByMode.Count == 2)
        {
            var same = tokensByMode[false].SequenceEqual(tokensByMode[true]);
            report.Add(new DeviceFigure($"{options.Shape} greedy tokens, graphs on equal graphs off", same ? 1 : 0, "equal",
                $"{tokensByMode[true].Length} tokens at context {options.Contexts[0]}", same ? "ok" : "FAIL"));
        }

        // What the decode steps above spent copying history out of the paged pool, the part a paged-attention kernel
        // would not pay (TorchSharp has none): the gather reads the history and writes a copy the fused kernel reads again.
        foreach (var ((streams, context), step) in stepSeconds)
        {
            var gather = HistoryGather.SecondsPerStep(model.Cache, streams, context + (options.Tokens / 2), type, device);
            report.Add(new DeviceFigure($"{options.Shape} history gather, {streams} stream(s), context {context}", gather * 1e3, "ms",
                Percent(gather / step, string.Create(CultureInfo.InvariantCulture, $"of the decode step ({step * 1e3:F2} ms)")), "info"));
        }

        // Prefill: one prompt in one step; its time to first token is the prefill.
        model.ReplayGraphs = true;
        await EngineStreams.RunAsync(engine, "warm", NextPrompt(options.Prefill), 2, cancellationToken).ConfigureAwait(false);
        engine.DropAll();
        var prefill = await EngineStreams.RunAsync(engine, "prefill", NextPrompt(options.Prefill), 2, cancellationToken).ConfigureAwait(false);
        engine.DropAll();
        var rate = options.Prefill / prefill.TimeToFirstToken;
        long matmulParams = (weightBytes / (type == ScalarType.Float32 ? 4 : 2)) - ((long)args.VocabSize * args.Dim);
        var flops = (2.0 * matmulParams * options.Prefill) + (2.0 * args.NLayers * (double)options.Prefill * options.Prefill * args.Dim)
            + (2.0 * args.VocabSize * args.Dim);
        var achieved = flops / prefill.TimeToFirstToken;
        var peakRelation = options.PeakTflops is { } peak
            ? Percent(achieved / (peak * 1e12), $"of the nominal {peak} TFLOP/s peak (target ≥ 40%)")
            : "no nominal peak given";
        report.Add(new DeviceFigure($"{options.Shape} prefill, {options.Prefill}-token prompt", rate, "tok/s",
            string.Create(CultureInfo.InvariantCulture, $"{achieved / 1e12:G3} TFLOP/s ") + peakRelation,
            options.PeakTflops is { } p && cudaDevice ? DeviceFigure.Against(achieved / (p * 1e12), 0.40) : "info"));
        report.Add(new DeviceFigure($"{options.Shape} prefill FLOP rate against this run's GEMM", achieved / gemm * 100, "%",
            string.Create(CultureInfo.InvariantCulture, $"of {gemm / 1e12:G3} TFLOP/s measured above"), "info"));
    }

    /// <summary>
    /// The random model with its KV budget from the device's free memory; if that cannot be read, a fixed budget, so the
    /// figures still come (the failure shows as a FAIL line).
    /// </summary>
    private static Transformer CreateModel(DeviceBenchOptions options, torch.Device device, DeviceBenchReport report)
    {
        var (args, maxSeqLen) = options.ModelShape;
        var engineOptions = ModelOptions(options, device, options.Streams);
        try
        {
            return Transformer.Random(args, maxSeqLen, options.Streams, engineOptions, Seed);
        }
        catch (ArgumentException e) when (engineOptions.KvCacheMemoryFraction is not null)
        {
            report.Add(new DeviceFigure("KV budget from the device's free memory", 0, "", e.Message, "FAIL"));
            // The first attempt's weights are unreachable: let their finalizers free the device memory before retrying.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return Transformer.Random(args, maxSeqLen, options.Streams, engineOptions with { KvCacheMemoryFraction = null, KvCacheBytes = 16L << 30 }, Seed);
        }
    }

    /// <summary>The 110M shape on the device against the CPU with every core, one stream and many.</summary>
    private static async Task CompareCpuAsync(DeviceBenchOptions options, DeviceBenchReport report, CancellationToken cancellationToken)
    {
        var (args, maxSeqLen) = DeviceBenchOptions.Shape110M;
        var rates = new List<(double Single, double Aggregate)>();
        foreach (var device in new[] { options.Device, "cpu" })
        {
            Progress.Report($"110M shape on {device}");
            var engineOptions = new EngineOptions
            {
                Device = device,
                Threads = options.Threads,
                KvCacheSequences = options.Streams + 2,
            };
            using var model = Transformer.Random(args, maxSeqLen, options.Streams, engineOptions, Seed);
            using var engine = new ServingEngine(model, new HashSet<int>(), new ServingOptions { MaxBatchSequences = options.Streams, PrefixCaching = false });
            var prompt = 0;
            int[] NextPrompt() => EngineStreams.Prompt(16, args.VocabSize, 1000 + prompt++);
            await EngineStreams.RunAsync(engine, "warm", NextPrompt(), options.Tokens, cancellationToken).ConfigureAwait(false);
            engine.DropAll();
            var single = await EngineStreams.RunAsync(engine, "single", NextPrompt(), options.Tokens, cancellationToken).ConfigureAwait(false);
            engine.DropAll();
            var prompts = Enumerable.Range(0, options.Streams).Select(_ => (IReadOnlyList<int>)NextPrompt()).ToArray();
            await EngineStreams.RunManyAsync(engine, "warm", prompts, Math.Min(options.Tokens, 8), cancellationToken).ConfigureAwait(false);
            engine.DropAll();
            var (_, aggregate) = await EngineStreams.RunManyAsync(engine, "streams", prompts, options.Tokens, cancellationToken).ConfigureAwait(false);
            rates.Add((single.DecodeRate, aggregate));
            report.Add(new DeviceFigure($"110M 1-stream decode on {device} ({model.DType})", single.DecodeRate, "tok/s", "", "info"));
            report.Add(new DeviceFigure($"110M {options.Streams}-stream aggregate decode on {device} ({model.DType})", aggregate, "tok/s", "", "info"));
        }

        var targeted = options.Device != "cpu";
        report.Add(new DeviceFigure($"110M 1-stream, {options.Device} against cpu", rates[0].Single / rates[1].Single, "×",
            "target ≥ 5×", targeted ? DeviceFigure.Against(rates[0].Single / rates[1].Single, 5) : "info"));
        report.Add(new DeviceFigure($"110M {options.Streams} streams, {options.Device} against cpu", rates[0].Aggregate / rates[1].Aggregate, "×",
            "target ≥ 3×", targeted ? DeviceFigure.Against(rates[0].Aggregate / rates[1].Aggregate, 3) : "info"));
    }

    /// <summary>
    /// The 110M shape's logits in bfloat16 against float32 on the device, the same seeded weights rounded: stated
    /// tolerance, cosine similarity of the last position's logits ≥ 0.99 and the same top token.
    /// </summary>
    private static void LogitsAgreement(DeviceBenchOptions options, DeviceBenchReport report)
    {
        var (args, maxSeqLen) = DeviceBenchOptions.Shape110M;
        float[] Logits(ScalarType type)
        {
            using var model = Transformer.Random(args, maxSeqLen, 1, new EngineOptions { Device = options.Device, DType = type, CpuKernels = false }, Seed);
            return model.Forward([new SequenceInput(model.SlotBlocks(0), 0, EngineStreams.Prompt(16, args.VocabSize, 7))])[0];
        }

        var full = Logits(ScalarType.Float32);
        var half = Logits(ScalarType.BFloat16);
        double dot = 0, a = 0, b = 0, maxDiff = 0;
        for (var i = 0; i < full.Length; i++)
        {
            dot += full[i] * (double)half[i];
            a += full[i] * (double)full[i];
            b += half[i] * (double)half[i];
            maxDiff = Math.Max(maxDiff, Math.Abs(full[i] - half[i]));
        }

        var cosine = dot / Math.Sqrt(a * b);
        var sameTop = Array.IndexOf(full, full.Max()) == Array.IndexOf(half, half.Max());
        report.Add(new DeviceFigure($"110M bfloat16 logits against float32 on {options.Device}, cosine", cosine, "",
            string.Create(CultureInfo.InvariantCulture, $"max |diff| {maxDiff:G3}; same top token: {sameTop} (tolerance: cosine ≥ 0.99, same top token)"),
            cosine >= 0.99 && sameTop ? "ok" : "FAIL"));
    }

    /// <summary>A trained llama2.c model in float32: greedy streams batched together equal the same streams run alone.</summary>
    private static async Task BatchCheckAsync(DeviceBenchOptions options, string path, DeviceBenchReport report, CancellationToken cancellationToken)
    {
        using var checkpoint = Llama2cCheckpoint.Open(path);
        using var model = Transformer.Load(checkpoint, checkpoint.Args, 256, options.Streams,
            new EngineOptions { Device = options.Device, DType = ScalarType.Float32, CpuKernels = false, KvCacheSequences = options.Streams + 2 });
        using var engine = new ServingEngine(model, new HashSet<int>(), new ServingOptions { MaxBatchSequences = options.Streams, PrefixCaching = false });
        var prompts = Enumerable.Range(0, options.Streams).Select(i => (IReadOnlyList<int>)EngineStreams.Prompt(4 + (i % 5), checkpoint.Args.VocabSize, 500 + i)).ToArray();
        var (batched, _) = await EngineStreams.RunManyAsync(engine, "batched", prompts, 48, cancellationToken).ConfigureAwait(false);
        engine.DropAll();
        var equal = 0;
        for (var i = 0; i < prompts.Length; i++)
        {
            var alone = await EngineStreams.RunAsync(engine, $"alone-{i}", prompts[i], 48, cancellationToken).ConfigureAwait(false);
            engine.DropAll();
            equal += alone.Tokens.SequenceEqual(batched[i].Tokens) ? 1 : 0;
        }

        report.Add(new DeviceFigure($"{Path.GetFileName(path)} float32 greedy, {options.Streams} batched streams equal alone", equal, "streams",
            $"of {prompts.Length}, 48 tokens each, graphs {model.DecodeGraphsStatus}", equal == prompts.Length ? "ok" : "FAIL"));
    }
}
