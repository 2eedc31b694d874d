using System.Text.Json;
using Llama.Checkpoints;
using Llama.Generation;
using Llama.Model;
using Llama.Parallel;
using Llama.Serving;
using static TorchSharp.torch;

namespace Llama.Tests.Parallel;

/// <summary>The stories260K-meta-mp2 fixture (two fairscale-cut shards) as a merged model, tensor-parallel ranks and pipeline stages, all in this process.</summary>
internal static class ParallelModels
{
    public const int MaxSeqLen = 256;
    public const int MaxBatch = 4;
    public const int BlockSize = 16;

    public static string Folder => TestData.Path("fixtures/stories260K-meta-mp2");

    public static EngineOptions Options => new() { KvBlockSize = BlockSize, KvCacheSequences = MaxBatch };

    /// <summary>The single-process model with the shards merged on load: the reference.</summary>
    public static Transformer Merged()
    {
        using var checkpoint = MetaCheckpoint.Open(Folder);
        return Transformer.Load(checkpoint, checkpoint.Args, MaxSeqLen, MaxBatch, Options);
    }

    public static TensorParallelShard[] Ranks() => [.. Enumerable.Range(0, 2).Select(r => TensorParallelShard.Load(Folder, r, MaxSeqLen, MaxBatch, Options))];

    public static TensorParallelModel Tensor(IReadOnlyList<ITensorParallelRank> ranks, ModelArgs args) =>
        new(args, ranks.Count, TensorParallelShard.KvLayoutOf(Options, args, ranks.Count, ScalarType.Float32, CPU, MaxSeqLen, MaxBatch),
            new FixedShards<ITensorParallelRank>(ranks));

    public static PipelineStage[] Stages(int count)
    {
        using var checkpoint = MetaCheckpoint.Open(Folder);
        return [.. Enumerable.Range(0, count).Select(s => PipelineStage.Load(checkpoint, checkpoint.Args, s, count, MaxSeqLen, MaxBatch, Options))];
    }

    public static PipelineModel Pipeline(IReadOnlyList<IPipelineStage> stages, ModelArgs args) =>
        new(args, stages.Count, PipelineStage.KvLayoutOf(Options, args, stages.Count, ScalarType.Float32, CPU, MaxSeqLen, MaxBatch),
            new FixedShards<IPipelineStage>(stages));

    /// <summary>The fixture's greedy case: prompt ids and the 120 tokens a correct loader generates.</summary>
    /// <summary>A serving engine over <paramref name="model"/> generates the fixture's greedy tokens for its prompt.</summary>
    public static async Task AssertServesGreedyAsync(IPagedModel model)
    {
        using var engine = new ServingEngine(model, new HashSet<int> { 2 });
        var (prompt, generated) = Greedy();

        var outcome = await engine.RunAsync(new TurnRequest("story", prompt, new GenerationOptions { Temperature = 0, MaxGenLen = generated.Length }))
            .WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(generated, outcome.Tokens);
    }

    public static (int[] Prompt, int[] Generated) Greedy()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("fixtures/expected.json")));
        var greedy = json.RootElement.GetProperty("stories260K-meta-mp2").GetProperty("greedy");
        return ([.. greedy.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32())],
            [.. greedy.GetProperty("generated_ids").EnumerateArray().Select(e => e.GetInt32())]);
    }

    public static int[] Blocks(int first, int count) => [.. Enumerable.Range(first, count)];

    public static float MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => MathF.Abs(x - y)).Max();
    }
}
