using Llama.Generation;
using Llama.Model;
using Llama.Serving;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace Llama.Tests.Serving;

/// <summary>
/// The scheduler on its own, over a real KV pool and conversation caches but no model: each step's tokens are recorded
/// as computed and every turn that sampled gets the same token, so what is checked is only who runs, with how many
/// tokens, and who waits.
/// </summary>
public sealed class StepSchedulerTests : IDisposable
{
    private const int BlockSize = 4;
    private const int Token = 3;
    private static readonly ModelArgs Args = new() { Dim = 8, NLayers = 1, NHeads = 2, VocabSize = 64 };
    private static readonly HashSet<int> NoStopTokens = [];
    private readonly RotaryEmbedding _rope = new(Args.HeadDim, 128, Args.RopeTheta, CPU);
    private readonly List<KvBlockPool> _pools = [];

    public void Dispose()
    {
        _pools.ForEach(p => p.Dispose());
        _rope.Dispose();
    }

    private sealed record Setup(StepScheduler Scheduler, ConversationCaches Caches, ServingCounters Counters);

    private Setup Create(int blocks, ServingOptions? options = null, int maxRows = 8)
    {
        var pool = new KvBlockPool(Args, blocks, BlockSize, ScalarType.Float32, CPU);
        _pools.Add(pool);
        var caches = new ConversationCaches(pool);
        var limits = new ServingLimits(maxRows, blocks * BlockSize, blocks * BlockSize, Args.VocabSize, blocks, BlockSize);
        var counters = new ServingCounters();
        return new Setup(new StepScheduler(caches, _rope, options ?? new ServingOptions(), limits, counters, NullLogger.Instance), caches, counters);
    }

    /// <summary>A turn on cache <paramref name="cacheId"/> whose prompt is <paramref name="length"/> tokens from <paramref name="first"/> on.</summary>
    private static TurnState Turn(string cacheId, int first, int length, int maxGenLen, CancellationToken cancellationToken = default) =>
        TurnState.Start(new TurnRequest(cacheId, [.. Enumerable.Range(first, length)], new GenerationOptions { Temperature = 0, MaxGenLen = maxGenLen }),
            null, () => { }, cancellationToken);

    private static TurnState Enqueue(Setup setup, TurnState turn)
    {
        Assert.True(setup.Scheduler.TryEnqueue(turn));
        return turn;
    }

    /// <summary>As the engine's step: records what the plan computed, samples every turn that computed all its tokens, and settles.</summary>
    private static void Compute(Setup setup, StepPlan plan)
    {
        foreach (var (turn, count, _) in plan.Turns)
        {
            setup.Caches.Commit(turn.Entry!, turn.Tokens, count);
            if (turn.Pending == 0)
            {
                TurnSampler.Sample(turn, null, Token, NoStopTokens);
            }
        }

        setup.Scheduler.Settle(plan, new Dictionary<TurnState, Exception>());
    }

    private static StepPlan Step(Setup setup)
    {
        var plan = setup.Scheduler.Schedule();
        Compute(setup, plan);
        return plan;
    }

    private static void RunToEnd(Setup setup)
    {
        for (var step = 0; !setup.Scheduler.Idle; step++)
        {
            Assert.True(step < 100, "The scheduler stopped making progress.");
            Assert.False(Step(setup).IsEmpty);
        }
    }

    private static (TurnState, int)[] Counts(StepPlan plan) => [.. plan.Turns.Select(t => (t.Turn, t.Count))];

    [Fact]
    public async Task A_turn_whose_blocks_are_not_free_waits_in_the_queue_until_an_ended_turn_s_idle_cache_is_evicted()
    {
        // 4 blocks of 4 positions: either prompt of 9 tokens takes 3, so the second waits for the first.
        var setup = Create(blocks: 4);
        var first = Enqueue(setup, Turn("a", 1, 9, maxGenLen: 2));
        var second = Enqueue(setup, Turn("b", 20, 9, maxGenLen: 2));

        var plan = Step(setup);
        Assert.Equal([(first, 9)], Counts(plan));
        Assert.Equal((1, 1), (setup.Scheduler.Running, setup.Scheduler.Queued));
        Assert.False(second.Admitted);

        Assert.Equal([(first, 1)], Counts(Step(setup)));
        Assert.True(first.Completion.Task.IsCompletedSuccessfully);
        Assert.Equal([Token, Token], (await first.Completion.Task).Tokens);
        Assert.Equal(0, setup.Caches.Evictions);

        // The finished turn's cache stays until the waiting turn needs its blocks.
        Assert.Equal([(second, 9)], Counts(Step(setup)));
        Assert.Equal(1, setup.Caches.Evictions);
        Assert.Null(setup.Caches.BlocksOf("a"));
        RunToEnd(setup);
        Assert.Equal([Token, Token], (await second.Completion.Task).Tokens);
        Assert.Equal(2, setup.Counters.Turns);
        Assert.Equal(0, setup.Counters.Preemptions);
    }

    [Fact]
    public async Task When_blocks_run_out_the_most_recently_admitted_turn_is_preempted_and_later_recomputed()
    {
        // 6 blocks: three prompts of 7 tokens take 2 each; the first to need a third block preempts the last admitted.
        var setup = Create(blocks: 6);
        var first = Enqueue(setup, Turn("a", 1, 7, maxGenLen: 4));
        var second = Enqueue(setup, Turn("b", 10, 7, maxGenLen: 4));
        var third = Enqueue(setup, Turn("c", 20, 7, maxGenLen: 4));

        Assert.Equal([(first, 7), (second, 7), (third, 7)], Counts(Step(setup)));
        Assert.Equal([(first, 1), (second, 1), (third, 1)], Counts(Step(setup)));

        var plan = Step(setup);
        Assert.Equal([(first, 1), (second, 1)], Counts(plan));
        Assert.Equal(1, setup.Counters.Preemptions);
        Assert.Equal((2, 1), (setup.Scheduler.Running, setup.Scheduler.Queued));
        Assert.False(third.Decoding);
        Assert.Empty(setup.Caches.BlocksOf("c")!);

        RunToEnd(setup);
        foreach (var turn in new[] { first, second, third })
        {
            Assert.Equal([Token, Token, Token, Token], (await turn.Completion.Task).Tokens);
        }

        Assert.Equal(3, setup.Counters.Turns);
    }

    [Fact]
    public void Prompts_share_the_step_s_prefill_chunk_in_queue_order_and_decoding_does_not_count_against_it()
    {
        var setup = Create(blocks: 32, new ServingOptions { PrefillChunkTokens = 6 });
        var first = Enqueue(setup, Turn("a", 1, 10, maxGenLen: 3));
        var second = Enqueue(setup, Turn("b", 20, 3, maxGenLen: 3));

        // The whole chunk goes to the first prompt; the second is not even admitted.
        Assert.Equal([(first, 6)], Counts(Step(setup)));
        Assert.False(second.Admitted);

        // The rest of the first prompt, then what is left of the chunk for the second.
        Assert.Equal([(first, 4), (second, 2)], Counts(Step(setup)));

        var plan = Step(setup);
        Assert.Equal([(first, 1), (second, 1)], Counts(plan));
        Assert.Equal([false, true], plan.Turns.Select(t => t.Prefill));
    }

    [Fact]
    public void With_prefill_first_steps_a_waiting_prompt_pauses_decoding_for_that_many_steps_at_most()
    {
        var setup = Create(blocks: 32, new ServingOptions { PrefillChunkTokens = 2, PrefillFirstSteps = 1 });
        var first = Enqueue(setup, Turn("a", 1, 2, maxGenLen: 5));
        Assert.Equal([(first, 2)], Counts(Step(setup)));
        var second = Enqueue(setup, Turn("b", 20, 6, maxGenLen: 5));

        Assert.Equal([(second, 2)], Counts(Step(setup)));
        Assert.Equal([(first, 1), (second, 2)], Counts(Step(setup)));
        Assert.Equal([(second, 2)], Counts(Step(setup)));
    }

    [Fact]
    public void Cancelled_turns_leave_at_the_next_step_and_a_started_one_drops_its_cache()
    {
        var setup = Create(blocks: 8, maxRows: 1);
        using var runningCancel = new CancellationTokenSource();
        using var queuedCancel = new CancellationTokenSource();
        var running = Enqueue(setup, Turn("a", 1, 5, maxGenLen: 8, runningCancel.Token));
        var queued = Enqueue(setup, Turn("b", 20, 5, maxGenLen: 8, queuedCancel.Token));
        var waiting = Enqueue(setup, Turn("c", 30, 5, maxGenLen: 1));
        Assert.Equal([(running, 5)], Counts(Step(setup)));
        Assert.NotNull(setup.Caches.BlocksOf("a"));

        runningCancel.Cancel();
        queuedCancel.Cancel();

        Assert.Equal([(waiting, 5)], Counts(Step(setup)));
        Assert.True(running.Completion.Task.IsCanceled);
        Assert.True(queued.Completion.Task.IsCanceled);
        Assert.Null(setup.Caches.BlocksOf("a"));
        Assert.Null(setup.Caches.BlocksOf("b"));
        Assert.True(waiting.Completion.Task.IsCompletedSuccessfully);
        Assert.True(setup.Scheduler.Idle);
    }

    [Fact]
    public void A_full_queue_refuses_the_turn_with_a_clear_error()
    {
        var setup = Create(blocks: 8, new ServingOptions { MaxQueuedRequests = 1 });
        Enqueue(setup, Turn("a", 1, 3, maxGenLen: 1));
        var refused = Turn("b", 1, 3, maxGenLen: 1);

        Assert.False(setup.Scheduler.TryEnqueue(refused));
        var error = Assert.IsType<ServingQueueFullException>(refused.Completion.Task.Exception?.InnerException);
        Assert.Contains("MaxQueuedRequests", error.Message, StringComparison.Ordinal);
    }
}
