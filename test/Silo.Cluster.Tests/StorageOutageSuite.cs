namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// The storage server stops and starts again under a running silo: requests fail fast with a retryable
/// Unavailable, what the conversation holds in memory stays, and service resumes by itself once storage is back.
/// </summary>
public abstract class StorageOutageSuite<TBackend>(TBackend backend) : IClassFixture<TBackend>, IAsyncLifetime
    where TBackend : Backend
{
    // Bounds a call that must fail fast during the outage: it may not wait for storage to come back.
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(30);

    private readonly string _folder = Directory.CreateTempSubdirectory("llama-outage-").FullName;
    private InProcessCluster? _cluster;

    public async ValueTask InitializeAsync() => _cluster = await InProcessCluster.StartAsync(backend, _folder, silos: 1);

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task During_an_outage_turns_fail_fast_as_Unavailable_state_stays_in_memory_and_service_resumes_after()
    {
        string[] messages = ["Tell me about a frog.", "What did the frog find?"];
        var expected = Reference.Replies(messages);
        var client = _cluster!.Client;
        var conversation = client.GetGrain<IConversationGrain>(Guid.NewGuid().ToString("N"));
        await conversation.Configure(Reference.Greedy);
        await conversation.Send(new UserMessage("m0", messages[0]));
        var untouched = client.GetGrain<IConversationGrain>(Guid.NewGuid().ToString("N"));

        await backend.StopServerAsync();
        try
        {
            var refused = await Assert.ThrowsAsync<ConversationException>(() => conversation.Send(new UserMessage("m1", messages[1])).WaitAsync(FailFast));
            Assert.Equal(ConversationErrorCode.Unavailable, refused.Code);
            // A conversation first touched during the outage cannot be read: Unavailable, not NotFound.
            var unread = await Assert.ThrowsAsync<ConversationException>(() => untouched.GetHistory().WaitAsync(FailFast));
            Assert.Equal(ConversationErrorCode.Unavailable, unread.Code);
            // The active conversation still answers from memory.
            Assert.Equal([messages[0], expected[0]], (await conversation.GetHistory()).Select(e => e.Content));
        }
        finally
        {
            await backend.StartServerAsync();
        }

        var turn = await SendUntilStorageIsBack(conversation, new UserMessage("m1", messages[1]));
        Assert.Equal(expected[1], turn.Reply);
        Assert.Equal([messages[0], expected[0], messages[1], expected[1]], (await conversation.GetHistory()).Select(e => e.Content));
        Assert.Equal(ConversationErrorCode.NotFound, (await Assert.ThrowsAsync<ConversationException>(() => untouched.GetHistory())).Code);

        // What was stored survives a restart: nothing was kept only in memory.
        var id = conversation.GetPrimaryKeyString();
        await _cluster.RestartAsync();
        Assert.Equal(4, (await _cluster.Client.GetGrain<IConversationGrain>(id).GetHistory()).Count);
    }

    /// <summary>The client's part: the same message id again while the refusal is retryable.</summary>
    private static async Task<TurnResult> SendUntilStorageIsBack(IConversationGrain conversation, UserMessage message)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await conversation.Send(message);
            }
            catch (Exception ex) when (attempt < 60 && RetryableErrors.IsRetryable(ex))
            {
                await Task.Delay(1000);
            }
        }
    }
}

public sealed class RedisOutageTests(RedisBackend backend) : StorageOutageSuite<RedisBackend>(backend);

public sealed class PostgreSqlOutageTests(PostgreSqlBackend backend) : StorageOutageSuite<PostgreSqlBackend>(backend);
