namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// Three silo processes with PostgreSQL clustering and storage; one is killed (SIGKILL) while many conversations are
/// streaming their next turn. Every turn completes, correctly and exactly once, and clients only ever see retryable errors.
/// </summary>
public sealed class SiloKillTests(PostgreSqlBackend backend) : IClassFixture<PostgreSqlBackend>
{
    private const int Conversations = 12;
    // Long enough that on a fast host the worker is still generating when the victim dies, so turns are cut mid-stream.
    private const int ReplyTokens = 160;
    private static readonly string[] Messages = ["Tell me about a bear.", "What did the bear do at night?"];

    [Fact]
    public async Task Killing_a_silo_during_streaming_turns_loses_and_duplicates_no_turn_and_shows_only_retryable_errors()
    {
        var expected = Reference.Replies(Messages, ReplyTokens);
        await using var cluster = await BackendProcessCluster.StartAsync(backend, silos: 3);
        var client = cluster.Client;
        var conversations = Enumerable.Range(0, Conversations).Select(i => client.GetGrain<IConversationGrain>($"kill-{i}-{Guid.NewGuid():N}")).ToArray();
        await Task.WhenAll(conversations.Select(async c =>
        {
            await c.Configure(Reference.GreedyWith(ReplyTokens));
            Assert.Equal(expected[0], (await c.Send(new UserMessage("m0", Messages[0]))).Reply);
        }));

        // The victim: the silo holding most of these conversations' model workers (never the only one left).
        var workers = await Task.WhenAll(conversations.Select(async c => (await c.GetStatus()).CacheWorker!));
        var victim = workers.GroupBy(w => cluster.At(ModelWorkerKey.Parse(w).Silo)).MaxBy(g => g.Count())!.Key;

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var turns = conversations.Select(c => Task.Run(() => StreamingTurn.RunAsync(
            c, new UserMessage("m1", Messages[1]), TimeSpan.FromMilliseconds(40), started, TimeSpan.FromMinutes(2)))).ToArray();
        await started.Task.WaitAsync(TimeSpan.FromMinutes(1));
        victim.Process.Kill();
        var outcomes = await Task.WhenAll(turns);

        Assert.True(victim.Process.HasExited);
        var errors = outcomes.SelectMany(o => o.Errors).ToList();
        Assert.All(errors, e => Assert.True(RetryableErrors.IsRetryable(e), $"Not retryable: {e}"));
        Assert.NotEmpty(errors);
        for (var i = 0; i < Conversations; i++)
        {
            var outcome = outcomes[i];
            var turn = Assert.IsType<TurnResult>(outcome.Turn);
            Assert.Equal(expected[1], turn.Reply);
            Assert.Equal(turn.Reply, outcome.StreamedText);
            var history = await conversations[i].GetHistory();
            Assert.Equal([Messages[0], expected[0], Messages[1], expected[1]], history.Select(e => e.Content));
            Assert.Equal(["m0", "m0", "m1", "m1"], history.Select(e => e.MessageId));
            var status = await conversations[i].GetStatus();
            Assert.Equal(2, status.Turns);
            Assert.Null(status.PendingMessageId);
        }
    }
}
