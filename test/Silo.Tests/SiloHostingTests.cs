using Llama.Chat;
using Llama.Generation;
using LlamaOrleans.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlamaOrleans.Tests.Silo;

/// <summary>The default silo, started in-process on free ports and reached by a real client over its gateway.</summary>
public sealed class SiloHostingTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    /// <summary>The default silo (demo model, SQLite file) on free ports, with its own service id.</summary>
    private IHost BuildSilo(int siloPort, int gatewayPort) => LlamaSiloHost.CreateBuilder(
    [
        $"--Orleans:SiloPort={siloPort}",
        $"--Orleans:GatewayPort={gatewayPort}",
        "--Orleans:ServiceId=silo-test",
        $"--Storage:DataSource={_database.FilePath}",
    ]).Build();

    private static IHost BuildClient(int gatewayPort)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort, "silo-test", "dev"));
        return builder.Build();
    }

    [Fact]
    public async Task The_default_silo_starts_serves_a_client_on_its_gateway_and_stops()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var ports = FreePorts.Take(2);
        int siloPort = ports[0], gatewayPort = ports[1];
        using var silo = BuildSilo(siloPort, gatewayPort);

        await silo.StartAsync(cancellation);
        try
        {
            Assert.True(File.Exists(_database.FilePath));
            Assert.Equal(0, _database.Count("SELECT COUNT(*) FROM GrainState;"));

            using var client = BuildClient(gatewayPort);
            await client.StartAsync(cancellation);
            var hosts = await client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            await client.StopAsync(cancellation);

            var (address, status) = Assert.Single(hosts);
            Assert.Equal(SiloStatus.Active, status);
            Assert.Equal(siloPort, address.Endpoint.Port);
        }
        finally
        {
            await silo.StopAsync(cancellation);
        }

        Assert.True(FreePorts.IsFree(siloPort));
        Assert.True(FreePorts.IsFree(gatewayPort));
    }

    [Fact]
    public async Task The_default_silo_answers_with_the_demo_model_and_keeps_the_conversation_across_a_restart()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var settings = new ConversationSettings { Model = "demo", SystemPrompt = "You tell stories.", Temperature = 0, MaxReplyTokens = 24 };
        const string Question = "Tell me about a cat.";
        TurnResult turn;
        IReadOnlyList<TranscriptEntry> history;

        var ports = FreePorts.Take(2);
        using (var silo = BuildSilo(ports[0], ports[1]))
        {
            await silo.StartAsync(cancellation);
            using var client = BuildClient(ports[1]);
            await client.StartAsync(cancellation);
            var conversation = client.Services.GetRequiredService<IClusterClient>().GetGrain<IConversationGrain>("restarted");
            await conversation.Configure(settings);
            turn = await conversation.Send(new UserMessage("1", Question), cancellation);
            history = await conversation.GetHistory();
            await client.StopAsync(cancellation);
            await silo.StopAsync(cancellation);
        }

        // The same prompt through the engine directly, on the model files the silo ships with.
        var dialog = new List<Message> { new(Role.System, settings.SystemPrompt!), new(Role.User, Question) };
        using (var engine = LlamaGenerator.Build(
            Path.Combine(AppContext.BaseDirectory, "models", "stories260K.bin"),
            Path.Combine(AppContext.BaseDirectory, "models", "tok512.bin"),
            512,
            1))
        {
            Assert.False(string.IsNullOrWhiteSpace(turn.Reply));
            Assert.Equal(engine.ChatCompletion([dialog], temperature: 0, maxGenLen: 24)[0].Generation.Content, turn.Reply);
        }

        Assert.Equal(1, _database.Count("SELECT COUNT(*) FROM GrainState WHERE ServiceId = 'silo-test' AND GrainId LIKE '%restarted' AND Payload IS NOT NULL;"));

        ports = FreePorts.Take(2);
        using (var silo = BuildSilo(ports[0], ports[1]))
        {
            await silo.StartAsync(cancellation);
            using var client = BuildClient(ports[1]);
            await client.StartAsync(cancellation);
            var conversation = client.Services.GetRequiredService<IClusterClient>().GetGrain<IConversationGrain>("restarted");
            var status = await conversation.GetStatus();
            var after = await conversation.GetHistory();
            await client.StopAsync(cancellation);
            await silo.StopAsync(cancellation);

            Assert.Equal(history, after);
            Assert.Equal(settings, status.Settings);
            Assert.Equal(1, status.Turns);
        }
    }
}
