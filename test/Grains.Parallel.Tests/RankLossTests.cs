using Llama.Chat;
using Llama.Tokenization;

namespace LlamaOrleans.Parallel.Tests;

/// <summary>A silo process holding a tensor-parallel rank is killed mid-reply; a standby silo takes the rank over.</summary>
public sealed class RankLossTests(ITestOutputHelper output)
{
    private const string First = "Tell me a story about a bird.";
    private const string Second = "What did the bird see?";
    private const string Third = "Where did the bird fly?";

    [Fact]
    public async Task Killing_a_ranks_silo_during_a_streaming_turn_loses_no_turn_and_the_standby_rank_completes_the_next_ones()
    {
        await using var cluster = new ProcessCluster("llama-parallel-");
        await cluster.StartSiloAsync("coordinator", [0], []);
        var (doomed, doomedPort) = await cluster.StartSiloAsync("rank-1", [1], []);
        var placed = await SplitModels.WaitUntilReady(cluster.Client, SplitModels.Tensor);
        Assert.Contains($":{doomedPort}@", placed.Shards[1].Silo, StringComparison.Ordinal);
        var (standby, standbyPort) = await cluster.StartSiloAsync("standby", [1], []);
        await standby.WaitForOutputAsync("Model tp: rank 1 of 2 loaded", SplitModels.Timeout);

        var conversation = cluster.Conversations.NewConversation();
        await conversation.ConfigureAsync(SplitModels.Greedy(SplitModels.Tensor));
        var first = await conversation.SendAsync(First, "1");

        // The second turn streams; the rank's silo dies as soon as the reply has begun.
        Exception? failure = null;
        try
        {
            await foreach (var delta in conversation.StreamAsync(Second, "2"))
            {
                if (delta.Text.Length > 0 && !doomed.HasExited)
                {
                    doomed.Kill();
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
        }

        Assert.True(doomed.HasExited);
        // Killed mid-reply, the turn fails: retryable, or (when the conversation itself lived there) as a lost silo.
        Assert.NotNull(failure);
        output.WriteLine($"The streaming turn failed with {failure.GetType().Name}: {failure.Message}");
        if (failure is ConversationException refused)
        {
            Assert.Equal(ConversationErrorCode.Unavailable, refused.Code);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        // The client retries the same message until the cluster has settled: the failed turn left nothing behind.
        var second = await Retry(() => conversation.SendAsync(Second, "2"));
        output.WriteLine($"The retried turn completed after {clock.Elapsed.TotalSeconds:F1} s");
        var third = await Retry(() => conversation.SendAsync(Third, "3"));

        var status = await SplitModels.WaitUntilReady(cluster.Client, SplitModels.Tensor);
        Assert.Contains($":{standbyPort}@", status.Shards[1].Silo, StringComparison.Ordinal);
        List<Message> dialog = [new(Role.User, First), new(Role.Assistant, first.Reply), new(Role.User, Second)];
        Assert.Equal(SplitModels.Reply(dialog), second.Reply);
        Assert.Equal(SplitModels.Reply([.. dialog, new(Role.Assistant, second.Reply), new(Role.User, Third)]), third.Reply);
        var history = await conversation.HistoryAsync();
        Assert.Equal(["1", "1", "2", "2", "3", "3"], history.Select(e => e.MessageId));
        Assert.Equal([First, first.Reply, Second, second.Reply, Third, third.Reply], history.Select(e => e.Content));
    }

    [Fact]
    public async Task After_a_stages_silo_dies_between_turns_the_first_turn_goes_to_the_placement_the_registry_holds()
    {
        await using var cluster = new ProcessCluster("llama-parallel-");
        var (_, coordinatorPort) = await cluster.StartSiloAsync("coordinator", [], [0]);
        var (doomed, doomedPort) = await cluster.StartSiloAsync("stage-1", [], [1]);
        var placed = await SplitModels.WaitUntilReady(cluster.Client, SplitModels.Pipeline);
        Assert.Contains($":{coordinatorPort}@", placed.Shards[0].Silo, StringComparison.Ordinal);
        Assert.Contains($":{doomedPort}@", placed.Shards[1].Silo, StringComparison.Ordinal);
        var (standby, standbyPort) = await cluster.StartSiloAsync("standby", [], [1]);
        await standby.WaitForOutputAsync("Model pp: rank 1 of 2 loaded", SplitModels.Timeout);

        // The coordinator's worker is called directly, as a conversation would, but with no retry: its first turn
        // resolves stage 1 on the doomed silo and keeps that placement.
        var worker = cluster.Client.GetGrain<IModelWorkerGrain>(ModelWorkerKey.For(SplitModels.Pipeline, placed.Shards[0].Silo!));
        List<Message> dialog = [new(Role.User, First)];
        Assert.Equal(SplitModels.Reply(dialog), await Turn(worker, dialog, "before"));

        doomed.Kill();
        await SplitModels.WaitUntilReady(cluster.Client, SplitModels.Pipeline, s => s.Shards[1].Silo!.Contains($":{standbyPort}@", StringComparison.Ordinal));

        // The registry has placed stage 1 on the standby: the very next turn runs there, without a refusal to retry.
        // Only Orleans' own transport may still reject a message while every silo learns of the death (a directory
        // partition the dead silo owned, say); such a rejection is sent again, anything else fails the test.
        dialog = [new(Role.User, Second)];
        Assert.Equal(SplitModels.Reply(dialog), await WhileTheClusterSettles(attempt => Turn(worker, dialog, $"after-{attempt}")));
    }

    private static async Task<string> WhileTheClusterSettles(Func<int, Task<string>> send)
    {
        var deadline = DateTime.UtcNow + SplitModels.Timeout;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await send(attempt);
            }
            catch (Exception e) when (e is OrleansMessageRejectionException or SiloUnavailableException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>One greedy turn on a fresh cache of the worker, as the conversation grain would send it; the reply's text.</summary>
    private static async Task<string> Turn(IModelWorkerGrain worker, IReadOnlyList<Message> dialog, string cacheId)
    {
        var format = new ChatFormat(TokenizerLoader.Load(SplitModels.Tokenizer));
        var request = new WorkerRequest
        {
            CacheId = cacheId,
            Tokens = [.. format.Encode(dialog).Ids],
            Temperature = 0,
            MaxReplyTokens = SplitModels.ReplyTokens,
        };
        await foreach (var e in worker.Generate(request))
        {
            if (e.Completed is { } done)
            {
                return done.Text.Trim();
            }
        }

        throw new InvalidOperationException("The worker's stream ended without a result.");
    }

    private static async Task<TurnResult> Retry(Func<Task<TurnResult>> send)
    {
        var deadline = DateTime.UtcNow + SplitModels.Timeout;
        while (true)
        {
            try
            {
                return await send();
            }
            catch (Exception e) when (DateTime.UtcNow < deadline && e is not Xunit.Sdk.XunitException)
            {
                await Task.Delay(500);
            }
        }
    }
}
