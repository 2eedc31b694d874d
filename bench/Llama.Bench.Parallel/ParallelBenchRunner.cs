using System.Globalization;
using System.Text;
using Llama.Bench;
using Llama.Checkpoints;
using Llama.Model;
using Llama.Parallel;
using Llama.Tokenization;
using LlamaOrleans;
using LlamaOrleans.Grains;
using static TorchSharp.torch;

namespace Llama.Bench.Parallel;

/// <summary>
/// Splits one model in two, as tensor-parallel ranks and as pipeline stages, first in this process (the same compute
/// without messaging) and then over two silos talking Orleans over loopback TCP, and times a decode step of each
/// layout against the single-process model. The difference between a layout over silos and in process, divided by the
/// exchanges of a step, is the cost of one exchange (one all-reduce or one pipeline hop); the report projects it to a
/// 70B model over 8 ranks.
/// </summary>
internal static class ParallelBenchRunner
{
    /// <summary>Llama 2 70B: 80 layers, dim 8192, as Meta ships it over 8 model-parallel ranks.</summary>
    private const int BigLayers = 80;
    private const int BigDim = 8192;
    private const int BigRanks = 8;

    public static async Task<string> RunAsync(ParallelBenchOptions options, CancellationToken cancellationToken)
    {
        var model = BenchModels.Resolve(options.Model, BenchPaths.Locate(null), cancellationToken);
        var shape = new BenchShape();
        var engine = new EngineOptions { Threads = options.Threads, KvCacheSequences = shape.Sequences };
        using var checkpoint = CheckpointLoader.Open(model.Path);
        var args = checkpoint.Args.VocabSize < 0 ? checkpoint.Args with { VocabSize = TokenizerLoader.Load(model.EngineTokenizer).VocabSize } : checkpoint.Args;
        var timings = new List<LayoutTiming>();
        foreach (var (layout, kernels) in new[] { ("single process, engine kernels", true), ("single process, libtorch", false) })
        {
            Console.Error.WriteLine($"bench: {layout}");
            using var single = Transformer.Load(checkpoint, args, shape.MaxSeqLen, shape.Sequences, engine with { CpuKernels = kernels });
            timings.AddRange(StepTimer.Measure([(layout, single)], options.Tokens, options.ChunkRows).Timings);
        }

        var tensorLayout = TensorParallelShard.KvLayoutOf(engine, args, 2, ScalarType.Float32, CPU, shape.MaxSeqLen, shape.Sequences);
        var pipelineLayout = PipelineStage.KvLayoutOf(engine, args, 2, ScalarType.Float32, CPU, shape.MaxSeqLen, shape.Sequences);
        await using var silos = await TwoSilos.StartAsync(model, shape, options.Threads, cancellationToken).ConfigureAwait(false);

        // Each split runs in this process and over the silos, step for step in turn: their difference is the messaging.
        Console.Error.WriteLine("bench: tensor parallel, in process and over 2 silos");
        var placed = await silos.WaitUntilReadyAsync(TwoSilos.Tensor, cancellationToken).ConfigureAwait(false);
        var ranks = Enumerable.Range(0, 2).Select(r => TensorParallelShard.Cut(checkpoint, args, r, 2, shape.MaxSeqLen, shape.Sequences, engine)).ToArray();
        Overhead tensor;
        double ping;
        using (var local = new TensorParallelModel(args, 2, tensorLayout, new FixedShards<ITensorParallelRank>([.. ranks.Select(r => new ThreadedRank(r))])))
        using (var remote = new TensorParallelModel(args, 2, tensorLayout,
            new FixedShards<ITensorParallelRank>([.. placed.Shards.Select(s => new ShardWorkerRank(silos.Grains.GetGrain<IShardWorkerGrain>(ShardWorkerKey.For(TwoSilos.Tensor, s.Rank, s.Silo!))))])))
        {
            tensor = Compare(timings, [("tensor parallel, 2 ranks in process", local), ("tensor parallel, 2 silos (Orleans)", remote)], options);
            ping = await PingAsync(silos, placed, remote.Statistics.Steps).ConfigureAwait(false);
        }

        Array.ForEach(ranks, r => r.Dispose());
        Console.Error.WriteLine("bench: pipeline, in process and over 2 silos");
        placed = await silos.WaitUntilReadyAsync(TwoSilos.Pipeline, cancellationToken).ConfigureAwait(false);
        var stages = Enumerable.Range(0, 2).Select(s => PipelineStage.Load(checkpoint, args, s, 2, shape.MaxSeqLen, shape.Sequences, engine)).ToArray();
        Overhead pipeline;
        using (var local = new PipelineModel(args, 2, pipelineLayout, new FixedShards<IPipelineStage>(stages)))
        using (var remote = new PipelineModel(args, 2, pipelineLayout,
            new FixedShards<IPipelineStage>([.. placed.Shards.Select(s => new ShardWorkerStage(silos.Grains.GetGrain<IShardWorkerGrain>(ShardWorkerKey.For(TwoSilos.Pipeline, s.Rank, s.Silo!))))])))
        {
            pipeline = Compare(timings, [("pipeline, 2 stages in process", local), ("pipeline, 2 silos (Orleans)", remote)], options);
        }

        Array.ForEach(stages, s => s.Dispose());
        return Report(options, model, args, timings, tensor, pipeline, ping);
    }

    /// <summary>
    /// Median round trip of an empty call to the rank on silo 1 (logits of no rows at the current step): the messaging
    /// floor of one exchange, without payload or compute.
    /// </summary>
    private static async Task<double> PingAsync(TwoSilos silos, ModelStatus placed, long step)
    {
        var far = placed.Shards[1];
        var rank = new ShardWorkerRank(silos.Grains.GetGrain<IShardWorkerGrain>(ShardWorkerKey.For(TwoSilos.Tensor, far.Rank, far.Silo!)));
        var times = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await rank.LogitsAsync(step, []).ConfigureAwait(false);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        return times.Order().ElementAt(times.Count / 2);
    }

    /// <summary>Messaging cost of one exchange, in ms: at one row (decode) and at the chunk's rows.</summary>
    private sealed record Overhead(double Decode, double Chunk);

    private static Overhead Compare(List<LayoutTiming> timings, (string, IPagedModel)[] pair, ParallelBenchOptions options)
    {
        var (measured, decode, chunk) = StepTimer.Measure(pair, options.Tokens, options.ChunkRows);
        timings.AddRange(measured);
        // Every exchange involves exactly one remote shard here (the other runs beside the coordinator).
        return new Overhead(decode / measured[1].ExchangesPerStep, chunk / measured[1].ExchangesPerStep);
    }

    private static string Report(ParallelBenchOptions options, BenchModel model, ModelArgs args, List<LayoutTiming> timings, Overhead tensor, Overhead pipeline, double ping)
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.AppendLine(line);
        string F(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
        Line($"Parallel bench: {model.Name} ({model.Description}), {options.Threads} thread(s), split in 2");
        Line($"decode: median of {options.Tokens} one-token steps after a 16-token prompt; chunk: median step of {options.ChunkRows} new tokens");
        Line();
        Line($"{"layout",-38}  {"ms/token",9}  {"ms/chunk",9}  {"exchanges/step",14}");
        foreach (var t in timings)
        {
            Line($"{t.Layout,-38}  {F(t.DecodeMs),9}  {F(t.ChunkMs),9}  {(t.ExchangesPerStep == 0 ? "-" : t.ExchangesPerStep.ToString("F0", CultureInfo.InvariantCulture)),14}");
        }

        var (tensorDecode, tensorChunk) = (tensor.Decode, tensor.Chunk);
        var (pipelineDecode, pipelineChunk) = (pipeline.Decode, pipeline.Chunk);
        var kib = args.Dim * sizeof(float) / 1024.0;
        Line();
        Line("Cost of one exchange over Orleans (median step-by-step difference, silos minus in process, over the exchanges of a step):");
        Line($"  tensor parallel all-reduce: {F(tensorDecode)} ms at 1 row ({kib:F1} KiB each way), {F(tensorChunk)} ms at {options.ChunkRows} rows ({kib * options.ChunkRows:F1} KiB)");
        Line($"  pipeline hop:               {F(pipelineDecode)} ms at 1 row, {F(pipelineChunk)} ms at {options.ChunkRows} rows");
        Line($"  empty round trip to the rank on the other silo (median of 200): {F(ping)} ms");

        // 70B at batch 1: an all-reduce carries dim 8192 floats = 32 KiB per rank each way, about the chunk rows' payload.
        var exchanges = (2 * BigLayers) + 2;
        var bigKib = BigDim * sizeof(float) / 1024.0;
        Line();
        Line($"Projection, Llama 2 70B ({BigLayers} layers, dim {BigDim}) over {BigRanks} ranks at batch 1, from the {options.ChunkRows}-row figures ({kib * options.ChunkRows:F1} KiB ~ {bigKib:F0} KiB):");
        Line($"  tensor parallel: {exchanges} exchanges per token (2 per layer + embedding + logits)");
        Line($"    messaging overhead per token: {F(exchanges * tensorChunk)} ms if the {BigRanks - 1} remote ranks answer in parallel, " +
             $"{F(exchanges * tensorChunk * (BigRanks - 1))} ms if the coordinator handles them one after another");
        Line($"  pipeline: {BigRanks} hops per token, messaging overhead {F(BigRanks * pipelineChunk)} ms per token (stages compute one after another)");
        Line($"  floor from the empty round trip alone: tensor parallel {F(exchanges * ping)} ms per token, pipeline {F(BigRanks * ping)} ms per token");
        return text.ToString();
    }
}
