namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// Two silo processes with Redis clustering and storage; one gets SIGTERM while conversations stream their next
/// turn. It drains: running turns finish, new ones are refused as retryable and taken by the other silo; it exits
/// cleanly, and its conversations carry on elsewhere.
/// </summary>
public sealed class SiloDrainTests(RedisBackend backend) : IClassFixture<RedisBackend>
{
    private const int Conversations = 6;
    private const int ReplyTokens = 32;
    private static readonly string[] Messages = ["Tell me about a whale.", "Where did the whale swim?", "What did the whale sing?"];

    [Fact]
    public async Task A_silo_stopped_with_SIGTERM_finishes_its_turns_exits_cleanly_and_its_conversations_continue_elsewhere()
    {
        var expected = Reference.Replies(Messages, ReplyTokens);
        await using var cluster = await BackendProcessCluster.StartAsync(backend, silos: 2, new Dictionary<string, string>
        {
            ["Orleans:ShutdownTimeout"] = "00:00:30",
        });
        var conversations = Enumerable.Range(0, Conversations).Select(i => cluster.Client.GetGrain<IConversationGrain>($"drain-{i}-{Guid.NewGuid():N}")).ToArray();
        await Task.WhenAll(conversations.Select(async c =>
        {
            await c.Configure(Reference.GreedyWith(ReplyTokens));
            await c.Send(new UserMessage("m0", Messages[0]));
        }));

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var turns = conversations.Select(c => Task.Run(() => StreamingTurn.RunAsync(
            c, new UserMessage("m1", Messages[1]), TimeSpan.FromMilliseconds(40), started, TimeSpan.FromMinutes(2)))).ToArray();
        await started.Task.WaitAsync(TimeSpan.FromMinutes(1));
        var leaving = cluster.Members[1].Process;
        var exitCode = await leaving.StopAsync(TimeSpan.FromMinutes(2));
        var outcomes = await Task.WhenAll(turns);

        Assert.True(exitCode == 0, $"The silo did not stop cleanly ({exitCode}):\n{leaving.Output}");
        Assert.Contains("Draining: new turns refused", leaving.Output, StringComparison.Ordinal);
        Assert.Contains("Drained:", leaving.Output, StringComparison.Ordinal);
        Assert.All(outcomes.SelectMany(o => o.Errors), e => Assert.True(RetryableErrors.IsRetryable(e), $"Not retryable: {e}"));
        for (var i = 0; i < Conversations; i++)
        {
            var turn = Assert.IsType<TurnResult>(outcomes[i].Turn);
            Assert.Equal(expected[1], turn.Reply);
            Assert.Equal(turn.Reply, outcomes[i].StreamedText);
        }

        // Every conversation, wherever it lived, now runs on the remaining silo.
        var third = await Task.WhenAll(conversations.Select(c => StreamingTurn.RunAsync(
            c, new UserMessage("m2", Messages[2]), TimeSpan.Zero, null, TimeSpan.FromMinutes(2))));
        for (var i = 0; i < Conversations; i++)
        {
            Assert.Equal(expected[2], third[i].Turn?.Reply);
            var history = await conversations[i].GetHistory();
            Assert.Equal(["m0", "m0", "m1", "m1", "m2", "m2"], history.Select(e => e.MessageId));
            Assert.Equal([Messages[0], expected[0], Messages[1], expected[1], Messages[2], expected[2]], history.Select(e => e.Content));
        }
    }
}
