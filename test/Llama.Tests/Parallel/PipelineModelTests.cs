using Llama.Generation;
using Llama.Model;
using Llama.Parallel;
using Llama.Serving;

namespace Llama.Tests.Parallel;

public sealed class PipelineModelTests : IDisposable
{
    private readonly Transformer _merged = ParallelModels.Merged();
    private readonly PipelineStage[] _stages = ParallelModels.Stages(2);

    public void Dispose()
    {
        _merged.Dispose();
        foreach (var stage in _stages)
        {
            stage.Dispose();
        }
    }

    [Fact]
    public void Stages_split_the_layers_into_consecutive_ranges()
    {
        Assert.Equal((0, 2), PipelineStage.Layers(5, 2, 0));
        Assert.Equal((2, 5), PipelineStage.Layers(5, 2, 1));
        Assert.Equal([(0, 2), (2, 5)], _stages.Select(s => (s.FirstLayer, s.EndLayer)));
        Assert.Equal([(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)], Enumerable.Range(0, 5).Select(s => PipelineStage.Layers(5, 5, s)));
        Assert.Contains("at least as many layers", Assert.Throws<ArgumentException>(() => PipelineStage.Layers(5, 6, 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => PipelineStage.Layers(5, 2, 2));
    }

    [Fact]
    public void Two_stages_give_the_merged_models_logits_within_1e_4()
    {
        using var model = ParallelModels.Pipeline(_stages, _merged.Args);
        var (prompt, _) = ParallelModels.Greedy();
        var blocks = ParallelModels.Blocks(0, 4);
        SequenceInput[] prefill = [new(blocks, 0, prompt), new(ParallelModels.Blocks(8, 4), 0, prompt[..2])];
        var expected = _merged.Forward(prefill);
        var actual = model.Forward(prefill);
        Assert.True(ParallelModels.MaxDifference(expected[0], actual[0]) <= 1e-4f);
        Assert.True(ParallelModels.MaxDifference(expected[1], actual[1]) <= 1e-4f);

        for (var pos = prompt.Length; pos < prompt.Length + 20; pos++)
        {
            var token = Sampler.Sample(expected[0], 0, 0.9f, new SeededRandom(1));
            SequenceInput[] decode = [new(blocks, pos, [token])];
            expected = _merged.Forward(decode);
            actual = model.Forward(decode);
            Assert.True(ParallelModels.MaxDifference(expected[0], actual[0]) <= 1e-4f, $"position {pos}");
        }

        Assert.Equal(21 * 2, model.Statistics.Exchanges);
    }

    [Fact]
    public async Task The_serving_engine_over_two_stages_generates_the_fixtures_greedy_tokens()
    {
        using var model = ParallelModels.Pipeline(_stages, _merged.Args);
        await ParallelModels.AssertServesGreedyAsync(model);
    }

    [Fact]
    public void A_middle_stage_needs_activations_and_the_first_takes_none()
    {
        var step = new ShardStep(1, Guid.NewGuid(), [new SequenceInput(ParallelModels.Blocks(0, 1), 0, [1])], []);
        Assert.Contains("previous stage", Assert.Throws<ArgumentException>(() => _stages[1].ForwardAsync(step, null).GetAwaiter().GetResult()).Message);
        Assert.Contains("takes no activations", Assert.Throws<ArgumentException>(() => _stages[0].ForwardAsync(step, new float[64]).GetAwaiter().GetResult()).Message);
        Assert.Throws<ArgumentException>(() => _stages[1].ForwardAsync(step, new float[3]).GetAwaiter().GetResult());
    }

    [Fact]
    public void A_stage_that_fails_loses_the_kv_cache_and_is_reported_to_the_directory()
    {
        var directory = new RecordingDirectory([_stages[0], new BrokenStage()]);
        using var model = new PipelineModel(_merged.Args, 2, _stages[0].Layout, directory);

        var error = Assert.Throws<KvCacheLostException>(() => model.Forward([new SequenceInput(ParallelModels.Blocks(0, 1), 0, [1])]));

        Assert.Contains("Shard 1", error.Message);
        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Equal([1], directory.Lost);
    }

    [Fact]
    public void A_coordinator_whose_kv_block_size_differs_from_its_stages_fails_with_a_one_line_error()
    {
        using var model = new PipelineModel(_merged.Args, 2, _stages[0].Layout with { BlockSize = 8 }, new FixedShards<IPipelineStage>(_stages));

        var error = Assert.Throws<InvalidOperationException>(() => model.Forward([new SequenceInput(ParallelModels.Blocks(0, 1), 0, [1])]));

        Assert.Equal(
            "Shard 0 of the model has KV blocks of 16 positions, max_seq_len 256 and batches of 4, but the coordinator plans for 8, 256 and 4: " +
            "every rank or stage needs the coordinator's KV block size, max_seq_len and batch size.", error.Message);
    }

    private sealed class BrokenStage : IPipelineStage
    {
        public Task<ShardOutput> ForwardAsync(ShardStep step, float[]? hidden) => throw new TimeoutException("stage 1 did not answer");
    }

    private sealed class RecordingDirectory(IReadOnlyList<IPipelineStage> stages) : IShardDirectory<IPipelineStage>
    {
        public List<int> Lost { get; } = [];

        public Task<IReadOnlyList<IPipelineStage>> ResolveAsync(CancellationToken cancellationToken = default) => Task.FromResult(stages);

        public Task ReportLostAsync(int index, Exception error)
        {
            Lost.Add(index);
            return Task.CompletedTask;
        }
    }
}
