using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace LlamaOrleans.Grains.Tests;

/// <summary>
/// Three silos with the real engine on the demo model: silos 0 and 1 host it, silo 2 only runs
/// conversations, so placement must keep workers off it.
/// </summary>
public sealed class ClusterFixture() : TestClusterFixture(3, builder => builder.AddSiloBuilderConfigurator<SiloConfigurator>()), IAsyncLifetime
{
    public const string Model = "demo";

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        // Silos register their models shortly after start; tests begin once both hosts have.
        await ModelHosts.WaitAsync(Grains, Model, count: 2, TimeSpan.FromSeconds(20));
    }

    /// <summary>A new conversation with <paramref name="settings"/>.</summary>
    public async Task<IConversationGrain> CreateConversation(ConversationSettings settings)
    {
        var conversation = Grains.GetGrain<IConversationGrain>(Guid.NewGuid().ToString("N"));
        await conversation.Configure(settings);
        return conversation;
    }

    public static IConfiguration Models(bool host) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Models:0:Name"] = Model,
        ["Models:0:Path"] = TestData.Model,
        ["Models:0:Tokenizer"] = TestData.Tok512,
        ["Models:0:MaxSeqLen"] = "512",
        ["Models:0:MaxCachedConversations"] = "64",
        ["Models:0:Threads"] = "1",
        // Every token its own event, so streaming tests see the reply piece by piece (ReplyPacerTests cover pacing).
        ["Models:0:StreamIntervalMs"] = "0",
        ["Models:0:Host"] = host ? "true" : "false",
    }).Build();

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var name = siloBuilder.Configuration["Orleans:Name"] ?? string.Empty;
            siloBuilder.AddMemoryGrainStorage(StorageNames.Conversations);
            siloBuilder.AddLlamaGrains(Models(host: !name.EndsWith('2')));
        }
    }
}
