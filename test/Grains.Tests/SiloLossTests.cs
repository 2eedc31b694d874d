using Llama.Chat;
using Llama.Generation;

namespace LlamaOrleans.Grains.Tests;

/// <summary>A silo holding a conversation's worker dies: the next turn moves to another worker and recomputes.</summary>
public sealed class SiloLossTests
{
    [Fact]
    public async Task The_next_turn_after_the_workers_silo_dies_is_recomputed_elsewhere_and_correct()
    {
        var folder = Directory.CreateTempSubdirectory("llama-loss-").FullName;
        // Durable storage: memory storage would lose whatever state lived on the killed silo.
        var cluster = await SqliteCluster.StartAsync(3, Path.Combine(folder, "conversations.db"));
        try
        {
            var registry = cluster.Client.GetGrain<IModelRegistryGrain>(0);
            for (var i = 0; i < 200 && (await registry.GetHosts(ClusterFixture.Model)).Length < 3; i++)
            {
                await Task.Delay(100);
            }

            // Conversations spread by load; take one whose worker is not on the primary silo (which holds membership).
            var settings = new ConversationSettings { Model = ClusterFixture.Model, Temperature = 0, MaxReplyTokens = 30 };
            var primary = cluster.Primary!.SiloAddress.ToParsableString();
            IConversationGrain? conversation = null;
            string? worker = null;
            for (var i = 0; i < 6 && worker is null; i++)
            {
                var candidate = cluster.Client.GetGrain<IConversationGrain>($"loss-{i}");
                await candidate.Configure(settings);
                await candidate.Send(new UserMessage("1", "Tell me about a horse."));
                var status = await candidate.GetStatus();
                if (ModelWorkerKey.Parse(status.CacheWorker!).Silo != primary)
                {
                    (conversation, worker) = (candidate, status.CacheWorker);
                }
            }

            Assert.NotNull(conversation);
            var doomed = cluster.GetActiveSilos().Single(s => s.SiloAddress.ToParsableString() == ModelWorkerKey.Parse(worker!).Silo);
            await cluster.KillSiloAsync(doomed);

            var next = await conversation.Send(new UserMessage("2", "Where did the horse run?"));

            var history = await conversation.GetHistory();
            Assert.Equal(4, history.Count);
            Assert.False(next.CacheHit);
            Assert.NotEqual(worker, (await conversation.GetStatus()).CacheWorker);
            using var engine = LlamaGenerator.Build(TestData.Model, TestData.Tok512, 512, 1);
            List<Message> dialog = [new(Role.User, "Tell me about a horse."), new(Role.Assistant, history[1].Content), new(Role.User, "Where did the horse run?")];
            Assert.Equal(engine.ChatCompletion([dialog], temperature: 0, maxGenLen: 30)[0].Generation.Content, next.Reply);
        }
        finally
        {
            await cluster.StopAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
