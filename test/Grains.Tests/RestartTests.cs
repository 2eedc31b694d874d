using Llama.Chat;
using Llama.Generation;
using Orleans.TestingHost;

namespace LlamaOrleans.Grains.Tests;

/// <summary>A whole cluster stopped and started again on the same SQLite file keeps its conversations.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llama-restart-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Stored state belongs to a service: the restarted cluster must be the same service.
    private Task<TestCluster> Start() => SqliteCluster.StartAsync(2, Path.Combine(_folder, "conversations.db"), serviceId: "restart-test");

    [Fact]
    public async Task History_survives_a_full_cluster_restart_and_the_next_turn_is_correct()
    {
        var settings = new ConversationSettings { Model = ClusterFixture.Model, SystemPrompt = "You tell stories.", Temperature = 0, MaxReplyTokens = 30 };
        var dialog = new List<Message> { new(Role.System, settings.SystemPrompt!) };
        var cluster = await Start();
        IReadOnlyList<TranscriptEntry> before;
        try
        {
            var conversation = cluster.Client.GetGrain<IConversationGrain>("kept");
            await conversation.Configure(settings);
            foreach (var text in new[] { "Tell me about a fox.", "What did the fox eat?" })
            {
                var reply = await conversation.Send(new UserMessage(text, text));
                dialog.Add(new Message(Role.User, text));
                dialog.Add(new Message(Role.Assistant, reply.Reply));
            }

            before = await conversation.GetHistory();
        }
        finally
        {
            await cluster.StopAsync();
        }

        cluster = await Start();
        try
        {
            var conversation = cluster.Client.GetGrain<IConversationGrain>("kept");
            Assert.Equal(before, await conversation.GetHistory());
            var status = await conversation.GetStatus();
            Assert.Equal(2, status.Turns);
            Assert.Equal(settings, status.Settings);

            var next = await conversation.Send(new UserMessage("3", "Where did the fox sleep?"));
            dialog.Add(new Message(Role.User, "Where did the fox sleep?"));
            using var engine = LlamaGenerator.Build(TestData.Model, TestData.Tok512, 512, 1);
            var prompt = engine.ChatFormat.Encode(dialog).Ids.Count;
            Assert.Equal(engine.ChatCompletion([dialog], temperature: 0, maxGenLen: Math.Min(30, 512 - prompt))[0].Generation.Content, next.Reply);
            Assert.False(next.CacheHit);
            Assert.Equal(6, (await conversation.GetHistory()).Count);
        }
        finally
        {
            await cluster.StopAsync();
        }
    }
}
