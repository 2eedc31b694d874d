using Llama.Chat;
using Llama.Cli;

namespace LlamaOrleans.Parallel.Tests;

/// <summary>Split models over separate silo processes on loopback agree with the merged model in one process.</summary>
public sealed class SiloProcessTests
{
    [Fact]
    public async Task Tensor_and_pipeline_parallel_over_two_silo_processes_give_the_merged_models_greedy_replies()
    {
        await using var cluster = new ProcessCluster("llama-parallel-");
        var (_, firstPort) = await cluster.StartSiloAsync("first", [0], [0]);
        var (_, secondPort) = await cluster.StartSiloAsync("second", [1], [1]);

        foreach (var model in new[] { SplitModels.Tensor, SplitModels.Pipeline })
        {
            var status = await SplitModels.WaitUntilReady(cluster.Client, model);
            Assert.Contains($":{firstPort}@", status.Shards[0].Silo, StringComparison.Ordinal);
            Assert.Contains($":{secondPort}@", status.Shards[1].Silo, StringComparison.Ordinal);

            var conversation = cluster.Conversations.NewConversation();
            await conversation.ConfigureAsync(SplitModels.Greedy(model));
            var first = await conversation.SendAsync("Tell me a story about a dog.");
            var second = await conversation.SendAsync("Where did the dog go?");

            Assert.Equal(SplitModels.Reply([new(Role.User, "Tell me a story about a dog.")]), first.Reply);
            Assert.Equal(SplitModels.Reply([new(Role.User, "Tell me a story about a dog."), new(Role.Assistant, first.Reply), new(Role.User, "Where did the dog go?")]), second.Reply);
        }

        // The command line shows each rank, its silo and its state.
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(0, CliApp.Run(["models", "--silo", $"127.0.0.1:{cluster.Members[0].GatewayPort}"], output, errors, TestContext.Current.CancellationToken));
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("tp", StringComparison.Ordinal) && l.Contains("tensor", StringComparison.Ordinal)
            && l.Contains($":{firstPort}@", StringComparison.Ordinal) && l.EndsWith("loaded", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("pp", StringComparison.Ordinal) && l.Contains("pipeline", StringComparison.Ordinal)
            && l.Contains($":{secondPort}@", StringComparison.Ordinal) && l.EndsWith("loaded", StringComparison.Ordinal));
        Assert.Contains("tp: ready", lines);
        Assert.Contains("pp: ready", lines);
    }

    [Fact]
    public void The_models_command_reports_a_cluster_that_does_not_answer_and_a_malformed_address()
    {
        var port = FreePorts.Unused();
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(1, CliApp.Run(["models", "--silo", $"127.0.0.1:{port}"], output, errors, TestContext.Current.CancellationToken));
        Assert.Contains("no silo answered", errors.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, CliApp.Run(["models", "--silo", "nowhere"], output, errors, TestContext.Current.CancellationToken));
        Assert.Contains("--silo must be HOST:PORT", errors.ToString(), StringComparison.Ordinal);
    }
}
