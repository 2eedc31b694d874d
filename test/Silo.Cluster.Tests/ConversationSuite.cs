using LlamaOrleans.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// The conversation test-suite, run against each provider (one derived class per backend): two silos composed as
/// llama-orleans-silo composes them, clustering and storage from the backend.
/// </summary>
public abstract class ConversationSuite<TBackend>(TBackend backend) : IClassFixture<TBackend>, IAsyncLifetime
    where TBackend : Backend
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llama-suite-").FullName;
    private InProcessCluster? _cluster;

    private InProcessCluster Cluster => _cluster!;

    public async ValueTask InitializeAsync() => _cluster = await InProcessCluster.StartAsync(backend, _folder, silos: 2);

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    private async Task<IConversationGrain> Create()
    {
        var conversation = Cluster.Client.GetGrain<IConversationGrain>(Guid.NewGuid().ToString("N"));
        await conversation.Configure(Reference.Greedy);
        return conversation;
    }

    [Fact]
    public async Task Turns_are_stored_in_order_and_equal_the_engines_replies()
    {
        string[] messages = ["Tell me about a cat.", "What did the cat do next?"];
        var expected = Reference.Replies(messages);
        var conversation = await Create();

        for (var i = 0; i < messages.Length; i++)
        {
            var turn = await conversation.Send(new UserMessage($"m{i}", messages[i]));
            Assert.Equal(expected[i], turn.Reply);
            Assert.False(turn.Replayed);
        }

        var history = await conversation.GetHistory();
        Assert.Equal([messages[0], expected[0], messages[1], expected[1]], history.Select(e => e.Content));
        Assert.Equal(["m0", "m0", "m1", "m1"], history.Select(e => e.MessageId));
        var status = await conversation.GetStatus();
        Assert.Equal(2, status.Turns);
        Assert.Null(status.PendingMessageId);
    }

    [Fact]
    public async Task A_repeated_message_id_is_replayed_never_run_twice_even_when_sent_concurrently()
    {
        var expected = Reference.Replies(["Tell me about a dog.", "Where did the dog go?"]);
        var conversation = await Create();

        var first = await conversation.Send(new UserMessage("a", "Tell me about a dog."));
        var again = await conversation.Send(new UserMessage("a", "Tell me about a dog."));
        var together = await Task.WhenAll(
            conversation.Send(new UserMessage("b", "Where did the dog go?")),
            conversation.Send(new UserMessage("b", "Where did the dog go?")));

        Assert.Equal(expected[0], first.Reply);
        Assert.True(again.Replayed);
        Assert.Equal(first.Reply, again.Reply);
        Assert.All(together, t => Assert.Equal(expected[1], t.Reply));
        Assert.Single(together, t => t.Replayed);
        Assert.Equal(4, (await conversation.GetHistory()).Count);
        Assert.Equal(2, (await conversation.GetStatus()).Turns);
    }

    [Fact]
    public async Task Conversations_survive_a_restart_of_every_silo_and_continue_correctly()
    {
        string[] messages = ["Tell me about a fox.", "What did the fox eat?"];
        var expected = Reference.Replies(messages);
        var id = Guid.NewGuid().ToString("N");
        var conversation = Cluster.Client.GetGrain<IConversationGrain>(id);
        await conversation.Configure(Reference.Greedy);
        await conversation.Send(new UserMessage("m0", messages[0]));
        var before = await conversation.GetHistory();

        await Cluster.RestartAsync();

        conversation = Cluster.Client.GetGrain<IConversationGrain>(id);
        Assert.Equal(before, await conversation.GetHistory());
        var next = await conversation.Send(new UserMessage("m1", messages[1]));
        Assert.Equal(expected[1], next.Reply);
        Assert.False(next.CacheHit);
        Assert.Equal(4, (await conversation.GetHistory()).Count);
    }

    [Fact]
    public async Task A_turn_left_pending_by_a_crash_is_shown_and_completed_by_a_retry_with_its_message_id()
    {
        var expected = Reference.Replies(["Tell me about a bird."]);
        var conversation = Cluster.Client.GetGrain<IConversationGrain>(Guid.NewGuid().ToString("N"));
        // What a silo that died mid-generation leaves behind: the user message stored as the pending turn, no reply.
        var crashed = new ConversationState
        {
            Created = true,
            Settings = Reference.Greedy,
            Pending = new PendingTurn("p1", "Tell me about a bird.", DateTimeOffset.UtcNow),
        };
        var storage = Cluster.SiloServices.GetRequiredKeyedService<IGrainStorage>(StorageNames.Conversations);
        await storage.WriteStateAsync("conversation", conversation.GetGrainId(), new GrainState<ConversationState>(crashed));

        Assert.Equal("p1", (await conversation.GetStatus()).PendingMessageId);
        Assert.Empty(await conversation.GetHistory());

        var turn = await conversation.Send(new UserMessage("p1", "Tell me about a bird."));

        Assert.Equal(expected[0], turn.Reply);
        Assert.False(turn.Replayed);
        Assert.Equal(["Tell me about a bird.", expected[0]], (await conversation.GetHistory()).Select(e => e.Content));
        var status = await conversation.GetStatus();
        Assert.Null(status.PendingMessageId);
        Assert.Equal(1, status.Turns);
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_their_codes_and_change_nothing()
    {
        var unknown = Cluster.Client.GetGrain<IConversationGrain>(Guid.NewGuid().ToString("N"));
        Assert.Equal(ConversationErrorCode.NotFound, (await Assert.ThrowsAsync<ConversationException>(() => unknown.GetHistory())).Code);
        Assert.Equal(ConversationErrorCode.NotFound,
            (await Assert.ThrowsAsync<ConversationException>(() => unknown.Send(new UserMessage("x", "Hello")))).Code);

        var conversation = await Create();
        Assert.Equal(ConversationErrorCode.InvalidRequest,
            (await Assert.ThrowsAsync<ConversationException>(() => conversation.Send(new UserMessage("x", " ")))).Code);
        Assert.Equal(ConversationErrorCode.InvalidRequest,
            (await Assert.ThrowsAsync<ConversationException>(() => conversation.Send(new UserMessage("", "Hello")))).Code);
        Assert.Empty(await conversation.GetHistory());
        Assert.Null((await conversation.GetStatus()).PendingMessageId);
    }
}

public sealed class SqliteConversationTests(SqliteBackend backend) : ConversationSuite<SqliteBackend>(backend);

public sealed class RedisConversationTests(RedisBackend backend) : ConversationSuite<RedisBackend>(backend);

public sealed class PostgreSqlConversationTests(PostgreSqlBackend backend) : ConversationSuite<PostgreSqlBackend>(backend);
