using Llama.Generation;
using Llama.Model;
using Llama.Parallel;
using Llama.Serving;
using Llama.Tests.Serving;

namespace Llama.Tests.Parallel;

public sealed class TensorParallelModelTests : IDisposable
{
    private readonly Transformer _merged = ParallelModels.Merged();
    private readonly TensorParallelShard[] _ranks = ParallelModels.Ranks();

    public void Dispose()
    {
        _merged.Dispose();
        foreach (var rank in _ranks)
        {
            rank.Dispose();
        }
    }

    [Fact]
    public void Each_rank_holds_its_share_of_the_heads_and_its_columns_of_the_embedding()
    {
        Assert.Equal([0, 1], _ranks.Select(r => r.Rank));
        Assert.All(_ranks, r => Assert.Equal(2, r.Ranks));
        // stories260K: 4 KV heads of 8 dimensions, 5 layers; each rank caches 2 of them.
        Assert.All(_ranks, r => Assert.Equal(2L * 5 * 2 * 8 * sizeof(float), r.Pool.BytesPerToken));
        Assert.NotEqual(_ranks[0].PoolId, _ranks[1].PoolId);
    }

    [Fact]
    public void Prefill_and_decode_over_two_ranks_give_the_merged_models_logits_within_1e_4()
    {
        using var model = ParallelModels.Tensor(_ranks, _merged.Args);
        var (prompt, _) = ParallelModels.Greedy();
        var blocks = ParallelModels.Blocks(0, 4);
        // Two sequences in one packed batch: a prefill chunk and, in the next steps, decode rows.
        SequenceInput[] prefill = [new(blocks, 0, prompt), new(ParallelModels.Blocks(8, 4), 0, prompt[..3])];
        var expected = _merged.Forward(prefill);
        var actual = model.Forward(prefill);
        for (var i = 0; i < prefill.Length; i++)
        {
            Assert.True(ParallelModels.MaxDifference(expected[i], actual[i]) <= 1e-4f, $"sequence {i}");
        }

        for (var pos = prompt.Length; pos < prompt.Length + 20; pos++)
        {
            var token = Sampler.Sample(expected[0], 0, 0.9f, new SeededRandom(1));
            SequenceInput[] decode = [new(blocks, pos, [token]), new(ParallelModels.Blocks(8, 4), pos - prompt.Length + 3, [token])];
            expected = _merged.Forward(decode);
            actual = model.Forward(decode);
            Assert.True(ParallelModels.MaxDifference(expected[0], actual[0]) <= 1e-4f, $"position {pos}");
            Assert.True(ParallelModels.MaxDifference(expected[1], actual[1]) <= 1e-4f, $"position {pos}, second sequence");
        }

        var statistics = model.Statistics;
        Assert.Equal(21, statistics.Steps);
        // Embedding, two all-reduces per layer, logits.
        Assert.Equal(21 * ((2 * 5) + 2), statistics.Exchanges);
    }

    [Fact]
    public async Task The_serving_engine_over_two_ranks_generates_the_fixtures_greedy_tokens()
    {
        using var model = ParallelModels.Tensor(_ranks, _merged.Args);
        await ParallelModels.AssertServesGreedyAsync(model);
    }

    [Fact]
    public async Task Shared_prefixes_copy_on_write_and_context_shifts_reach_every_rank()
    {
        using var parallel = new ServingEngine(ParallelModels.Tensor(_ranks, _merged.Args), new HashSet<int> { 2 });
        using var single = new ServingEngine(_merged, new HashSet<int> { 2 });
        var (prompt, _) = ParallelModels.Greedy();
        // 40 tokens: full blocks that a second conversation with the same start shares, then writes past (copy-on-write).
        var longPrompt = Enumerable.Repeat(prompt, 8).SelectMany(p => p).ToArray();
        var greedy = new GenerationOptions { Temperature = 0, MaxGenLen = 12 };
        var outcomes = new List<int[]>();

        foreach (var engine in new[] { parallel, single })
        {
            var first = await engine.RunAsync(new TurnRequest("a", longPrompt, greedy));
            var second = await engine.RunAsync(new TurnRequest("b", longPrompt[..33], greedy));
            // Continue "a" after dropping its first 10 cached tokens: its blocks move and their keys re-rotate, on every rank.
            var cached = longPrompt.Concat(first.Tokens).Take(first.CachedTokens).ToArray();
            var shifted = await engine.RunAsync(new TurnRequest("a", prompt, greedy)
            {
                ShiftFrom = 0,
                ShiftCount = 10,
                ReuseTokens = cached.Length - 10,
                ReuseHash = TokenHash.Of(cached[10..]),
            });
            Assert.Equal(prompt.Length, shifted.PrefilledTokens);
            Assert.True(engine.Statistics().PrefixHitTokens >= 32);
            Assert.Equal(1, engine.Statistics().ContextShifts);
            outcomes.Add([.. first.Tokens, -1, .. second.Tokens, -1, .. shifted.Tokens]);
        }

        Assert.Equal(outcomes[1], outcomes[0]);
    }

    [Fact]
    public async Task A_rank_that_fails_fails_the_running_turns_and_every_cache_is_recomputed()
    {
        var failing = new FailingRank(_ranks[1]);
        using var model = ParallelModels.Tensor([_ranks[0], failing], _merged.Args);
        using var engine = new ServingEngine(model, new HashSet<int> { 2 });
        var (prompt, generated) = ParallelModels.Greedy();
        var greedy = new GenerationOptions { Temperature = 0, MaxGenLen = 10 };
        var cached = await engine.RunAsync(new TurnRequest("idle", prompt, greedy));

        failing.FailAfter = 3;
        var error = await Assert.ThrowsAsync<KvCacheLostException>(() => engine.RunAsync(new TurnRequest("story", prompt, greedy)));
        Assert.Contains("Shard 1", error.Message);

        // The idle conversation's cache went with the rank: continuing it misses and recomputes.
        await Assert.ThrowsAsync<CacheMissException>(() => engine.RunAsync(new TurnRequest("idle", [.. cached.Tokens.TakeLast(1)], greedy)
        {
            ReuseTokens = cached.CachedTokens,
            ReuseHash = cached.CachedHash,
        }));
        var again = await engine.RunAsync(new TurnRequest("story", prompt, greedy));
        Assert.Equal(generated[..10], again.Tokens);
        Assert.Equal(1, engine.Statistics().CachedSequences);
    }

    [Fact]
    public async Task A_rank_whose_pool_was_recreated_is_noticed_and_nothing_stale_is_reused()
    {
        var restarting = new RestartingRank(_ranks[1]);
        using var model = ParallelModels.Tensor([_ranks[0], restarting], _merged.Args);
        using var engine = new ServingEngine(model, new HashSet<int> { 2 });
        var (prompt, generated) = ParallelModels.Greedy();
        var greedy = new GenerationOptions { Temperature = 0, MaxGenLen = 10 };
        await engine.RunAsync(new TurnRequest("story", prompt, greedy));

        restarting.Pool = Guid.NewGuid();
        var error = await Assert.ThrowsAsync<KvCacheLostException>(() => engine.RunAsync(new TurnRequest("other", prompt, greedy)));
        Assert.Contains("restarted", error.Message);
        Assert.Equal(generated[..10], (await engine.RunAsync(new TurnRequest("other", prompt, greedy))).Tokens);
    }

    [Fact]
    public async Task A_second_coordinator_on_the_same_ranks_makes_the_first_recompute_instead_of_reading_overwritten_blocks()
    {
        using var first = new ServingEngine(ParallelModels.Tensor(_ranks, _merged.Args), new HashSet<int> { 2 });
        using var second = new ServingEngine(ParallelModels.Tensor(_ranks, _merged.Args), new HashSet<int> { 2 });
        var (prompt, generated) = ParallelModels.Greedy();
        var greedy = new GenerationOptions { Temperature = 0, MaxGenLen = 10 };
        var held = await first.RunAsync(new TurnRequest("a", prompt, greedy));
        await second.RunAsync(new TurnRequest("b", prompt, greedy));

        await Assert.ThrowsAsync<KvCacheLostException>(() => first.RunAsync(new TurnRequest("a", [.. held.Tokens.TakeLast(1)], greedy)
        {
            ReuseTokens = held.CachedTokens,
            ReuseHash = held.CachedHash,
        }));
        Assert.Equal(generated[..10], (await first.RunAsync(new TurnRequest("a", prompt, greedy))).Tokens);
    }

    [Fact]
    public void Cutting_the_merged_checkpoint_gives_the_ranks_Meta_cut()
    {
        using var checkpoint = Llama.Checkpoints.MetaCheckpoint.Open(ParallelModels.Folder);
        var cut = Enumerable.Range(0, 2)
            .Select(r => TensorParallelShard.Cut(checkpoint, checkpoint.Args, r, 2, ParallelModels.MaxSeqLen, ParallelModels.MaxBatch, ParallelModels.Options)).ToArray();
        try
        {
            using var fromFiles = ParallelModels.Tensor(_ranks, _merged.Args);
            using var fromCut = ParallelModels.Tensor(cut, _merged.Args);
            var (prompt, _) = ParallelModels.Greedy();
            SequenceInput[] batch = [new(ParallelModels.Blocks(0, 1), 0, prompt)];
            Assert.Equal(fromFiles.Forward(batch)[0], fromCut.Forward(batch)[0]);
        }
        finally
        {
            foreach (var rank in cut)
            {
                rank.Dispose();
            }
        }
    }

    [Fact]
    public void A_llama2c_model_cut_into_two_ranks_gives_its_logits_within_1e_4()
    {
        using var checkpoint = Llama.Checkpoints.Llama2cCheckpoint.Open(TestData.Model);
        using var single = Transformer.Load(checkpoint, checkpoint.Args, ParallelModels.MaxSeqLen, ParallelModels.MaxBatch, ParallelModels.Options);
        var cut = Enumerable.Range(0, 2)
            .Select(r => TensorParallelShard.Cut(checkpoint, checkpoint.Args, r, 2, ParallelModels.MaxSeqLen, ParallelModels.MaxBatch, ParallelModels.Options)).ToArray();
        try
        {
            using var model = ParallelModels.Tensor(cut, checkpoint.Args);
            var (prompt, _) = ParallelModels.Greedy();
            SequenceInput[] batch = [new(ParallelModels.Blocks(0, 1), 0, prompt)];
            Assert.True(ParallelModels.MaxDifference(single.Forward(batch)[0], model.Forward(batch)[0]) <= 1e-4f);
            Assert.Throws<ArgumentOutOfRangeException>(() => TensorParallelShard.Cut(checkpoint, checkpoint.Args, 2, 2, 64, 1, ParallelModels.Options));
            Assert.Contains("do not divide", Assert.Throws<Llama.Checkpoints.CheckpointException>(
                () => TensorParallelShard.Cut(checkpoint, checkpoint.Args, 0, 3, 64, 1, ParallelModels.Options)).Message);
        }
        finally
        {
            foreach (var rank in cut)
            {
                rank.Dispose();
            }
        }
    }

    [Fact]
    public void Steps_must_begin_before_a_rank_computes_a_layer()
    {
        var error = Assert.Throws<InvalidOperationException>(() => _ranks[0].AttentionAsync(99, 0, new float[64]).GetAwaiter().GetResult());
        Assert.Contains("BeginAsync", error.Message);
    }

    [Fact]
    public void A_rank_outside_the_checkpoints_shards_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorParallelShard.Load(ParallelModels.Folder, 2, 64, 1, ParallelModels.Options));
    }

    [Fact]
    public async Task Ranks_loaded_for_another_max_seq_len_or_batch_size_fail_the_turn_with_what_differs()
    {
        foreach (var layout in new[] { _ranks[0].Layout with { MaxSeqLen = 128 }, _ranks[0].Layout with { MaxBatchSize = 2 } })
        {
            using var model = new TensorParallelModel(_merged.Args, 2, layout, new FixedShards<ITensorParallelRank>(_ranks));
            using var engine = new ServingEngine(model, new HashSet<int> { 2 });

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.RunAsync(new TurnRequest("story", [1, 2, 3], Stories.Greedy(4))));

            Assert.StartsWith("Shard 0 of the model has KV blocks of 16 positions, max_seq_len 256 and batches of 4, but the coordinator plans for 16, ", error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
    }

    /// <summary>Rank 1 that throws on its n-th call, as a rank whose silo died.</summary>
    private sealed class FailingRank(ITensorParallelRank inner) : ITensorParallelRank
    {
        private int _calls;

        public int? FailAfter { get; set; }

        public Task<ShardOutput> BeginAsync(ShardStep step) => Maybe(() => inner.BeginAsync(step));

        public Task<float[]> AttentionAsync(long step, int layer, float[] hidden) => Maybe(() => inner.AttentionAsync(step, layer, hidden));

        public Task<float[]> FeedForwardAsync(long step, int layer, float[] hidden) => Maybe(() => inner.FeedForwardAsync(step, layer, hidden));

        public Task<float[]> LogitsAsync(long step, float[] hidden) => Maybe(() => inner.LogitsAsync(step, hidden));

        private Task<T> Maybe<T>(Func<Task<T>> call)
        {
            if (FailAfter is { } n && ++_calls > n)
            {
                FailAfter = null;
                _calls = 0;
                return Task.FromException<T>(new TimeoutException("rank 1 did not answer"));
            }

            return call();
        }
    }

    /// <summary>Rank 1 that reports another pool identity, as a rank that restarted between steps.</summary>
    private sealed class RestartingRank(ITensorParallelRank inner) : ITensorParallelRank
    {
        public Guid? Pool { get; set; }

        public async Task<ShardOutput> BeginAsync(ShardStep step)
        {
            var output = await inner.BeginAsync(step);
            return Pool is { } pool ? output with { Pool = pool } : output;
        }

        public Task<float[]> AttentionAsync(long step, int layer, float[] hidden) => inner.AttentionAsync(step, layer, hidden);

        public Task<float[]> FeedForwardAsync(long step, int layer, float[] hidden) => inner.FeedForwardAsync(step, layer, hidden);

        public Task<float[]> LogitsAsync(long step, float[] hidden) => inner.LogitsAsync(step, hidden);
    }
}
