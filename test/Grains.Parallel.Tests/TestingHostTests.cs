using Llama.Chat;
using Llama.Model;
using Llama.Parallel;
using LlamaOrleans.Grains;
using static TorchSharp.torch;

namespace LlamaOrleans.Parallel.Tests;

/// <summary>Split models over two silos of an in-process cluster agree with the merged model in one process.</summary>
public sealed class TestingHostTests(TwoSiloCluster fixture) : IClassFixture<TwoSiloCluster>
{
    [Theory]
    [InlineData(SplitModels.Tensor)]
    [InlineData(SplitModels.Pipeline)]
    public async Task A_conversation_on_a_model_split_over_two_silos_gets_the_merged_models_greedy_replies(string model)
    {
        var status = await SplitModels.WaitUntilReady(fixture.Grains, model);
        Assert.Equal(2, status.Shards.Length);
        Assert.Equal(2, status.Shards.Select(s => s.Silo).Distinct().Count());

        var conversation = fixture.Grains.GetGrain<IConversationGrain>($"{model}-{Guid.NewGuid():N}");
        await conversation.Configure(SplitModels.Greedy(model));
        var first = await conversation.Send(new UserMessage("1", "Tell me a story about a cat."));
        var second = await conversation.Send(new UserMessage("2", "What did the cat eat?"));

        Assert.Equal(SplitModels.Reply([new(Role.User, "Tell me a story about a cat.")]), first.Reply);
        Assert.Equal(SplitModels.Reply([new(Role.User, "Tell me a story about a cat."), new(Role.Assistant, first.Reply), new(Role.User, "What did the cat eat?")]), second.Reply);
        // The second turn continued the cache the ranks hold: the whole first prompt came from it.
        Assert.True(second.PrefilledTokens <= second.PromptTokens - first.PromptTokens, $"{second.PrefilledTokens} of {second.PromptTokens} computed");
        Assert.Equal(ModelWorkerKey.For(model, status.Shards[0].Silo!), (await conversation.GetStatus()).CacheWorker);
    }

    [Fact]
    public async Task Tensor_parallel_logits_through_the_shard_grains_are_the_merged_models_within_1e_4()
    {
        var status = await SplitModels.WaitUntilReady(fixture.Grains, SplitModels.Tensor);
        ITensorParallelRank[] ranks = [.. status.Shards.Select(s => new ShardWorkerRank(fixture.Grains.GetGrain<IShardWorkerGrain>(ShardWorkerKey.For(SplitModels.Tensor, s.Rank, s.Silo!))))];
        using var merged = SplitModels.Merged(4);
        using var split = new TensorParallelModel(merged.Args, 2,
            TensorParallelShard.KvLayoutOf(new EngineOptions { KvCacheSequences = 4 }, merged.Args, 2, ScalarType.Float32, CPU, SplitModels.MaxSeqLen, 4),
            new FixedShards<ITensorParallelRank>(ranks));

        AssertSameLogits(merged, split);
        Assert.Equal(((2 * 5) + 2) * 9, split.Statistics.Exchanges);
    }

    [Fact]
    public async Task Pipeline_logits_through_the_stage_grains_are_the_merged_models_within_1e_4()
    {
        var status = await SplitModels.WaitUntilReady(fixture.Grains, SplitModels.Pipeline);
        IPipelineStage[] stages = [.. status.Shards.Select(s => new ShardWorkerStage(fixture.Grains.GetGrain<IShardWorkerGrain>(ShardWorkerKey.For(SplitModels.Pipeline, s.Rank, s.Silo!))))];
        using var merged = SplitModels.Merged(4);
        using var split = new PipelineModel(merged.Args, 2,
            PipelineStage.KvLayoutOf(new EngineOptions { KvCacheSequences = 4 }, merged.Args, 2, ScalarType.Float32, CPU, SplitModels.MaxSeqLen, 4),
            new FixedShards<IPipelineStage>(stages));

        AssertSameLogits(merged, split);
        Assert.Equal(2 * 9, split.Statistics.Exchanges);
    }

    [Fact]
    public async Task A_model_with_a_rank_no_silo_is_configured_with_is_refused_as_unavailable_naming_the_rank()
    {
        var registry = fixture.Grains.GetGrain<IModelRegistryGrain>(0);
        var status = await registry.GetModel(TwoSiloCluster.Half);
        for (var i = 0; i < 100 && status.Shards.Length < 2; i++)
        {
            await Task.Delay(100);
            status = await registry.GetModel(TwoSiloCluster.Half);
        }

        Assert.False(status.Ready);
        Assert.Equal(ModelParallelism.Tensor, status.Parallel);
        Assert.Null(status.Shards[1].Silo);
        Assert.Contains("Rank 1 of model 'half' has no live silo configured with it", status.Problem, StringComparison.Ordinal);

        var conversation = fixture.Grains.GetGrain<IConversationGrain>($"half-{Guid.NewGuid():N}");
        await conversation.Configure(SplitModels.Greedy(TwoSiloCluster.Half));
        var error = await Assert.ThrowsAsync<ConversationException>(() => conversation.Send(new UserMessage("1", "Hello")));
        Assert.Equal(ConversationErrorCode.Unavailable, error.Code);
        Assert.Contains("Rank 1", error.Message, StringComparison.Ordinal);
        Assert.Empty(await conversation.GetHistory());
    }

    [Fact]
    public async Task The_registry_lists_every_split_model_with_its_ranks_silos_and_state()
    {
        await SplitModels.WaitUntilReady(fixture.Grains, SplitModels.Tensor);
        var models = await fixture.Grains.GetGrain<IModelRegistryGrain>(0).GetModels();

        var tensor = Assert.Single(models, m => m.Model == SplitModels.Tensor);
        Assert.True(tensor.Ready);
        Assert.All(tensor.Shards, s => Assert.Equal(ShardState.Loaded, s.State));
        Assert.Equal([0, 1], tensor.Shards.Select(s => s.Rank));
        Assert.Contains(models, m => m.Model == SplitModels.Pipeline && m.Parallel == ModelParallelism.Pipeline);
    }

    /// <summary>A prefill of two sequences, then eight decode steps of both, against the merged model.</summary>
    private static void AssertSameLogits(Transformer merged, IPagedModel split)
    {
        int[] prompt = [1, 403, 407, 261, 378];
        int[] a = [.. Enumerable.Range(0, 4)], b = [.. Enumerable.Range(8, 4)];
        SequenceInput[] batch = [new(a, 0, prompt), new(b, 0, prompt[..2])];
        var (positionA, positionB) = (prompt.Length, 2);
        for (var step = 0; step < 9; step++)
        {
            var expected = merged.Forward(batch);
            var actual = split.Forward(batch);
            for (var i = 0; i < 2; i++)
            {
                var difference = expected[i].Zip(actual[i], (x, y) => MathF.Abs(x - y)).Max();
                Assert.True(difference <= 1e-4f, $"step {step}, sequence {i}: max |difference| {difference}");
            }

            var next = expected.Select(l => Array.IndexOf(l, l.Max())).ToArray();
            batch = [new(a, positionA++, [next[0]]), new(b, positionB++, [next[1]])];
        }
    }
}
