using Llama.Chat;

namespace LlamaOrleans.Parallel.Tests;

/// <summary>Split models over separate silo processes on loopback agree with the merged model in one process.</summary>
public sealed class SiloProcessTests
{
    [Fact]
    public async Task Tensor_and_pipeline_parallel_over_two_silo_processes_give_the_merged_models_greedy_replies()
    {
        await using var cluster = new ProcessCluster();
        var (_, firstPort) = await cluster.StartSiloAsync("first", [0], [0]);
        var (_, secondPort) = await cluster.StartSiloAsync("second", [1], [1]);

        foreach (var model in new[] { SplitModels.Tensor, SplitModels.Pipeline })
        {
            var status = await SplitModels.WaitUntilReady(cluster.Grains, model);
            Assert.Contains($":{firstPort}@", status.Shards[0].Silo, StringComparison.Ordinal);
            Assert.Contains($":{secondPort}@", status.Shards[1].Silo, StringComparison.Ordinal);

            var conversation = cluster.Conversations.NewConversation();
            await conversation.ConfigureAsync(SplitModels.Greedy(model));
            var first = await conversation.SendAsync("Tell me a story about a dog.");
            var second = await conversation.SendAsync("Where did the dog go?");

            Assert.Equal(SplitModels.Reply([new(Role.User, "Tell me a story about a dog.")]), first.Reply);
            Assert.Equal(SplitModels.Reply([new(Role.User, "Tell me a story about a dog."), new(Role.Assistant, first.Reply), new(Role.User, "Where did the dog go?")]), second.Reply);
        }
    }
}
