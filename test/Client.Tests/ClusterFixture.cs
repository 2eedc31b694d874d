using Orleans.Configuration;
using Orleans.TestingHost;

[assembly: AssemblyFixture(typeof(LlamaOrleans.Client.Tests.ClusterFixture))]

namespace LlamaOrleans.Client.Tests;

/// <summary>
/// One in-process silo hosting the test double of the conversation grain, shared by all tests (each uses its own
/// conversation ids). Its cluster and service ids are those of llama-orleans-silo, which the client and the
/// CLI assume, and it listens on TCP, so external clients reach it through <see cref="Gateway"/>.
/// </summary>
public sealed class ClusterFixture() : TestClusterFixture(1, builder =>
{
    builder.Options.ClusterId = "dev";
    builder.Options.ServiceId = "llama-orleans";
    // Real sockets, so that clients outside the test cluster (hosts, the CLI) can reach the gateway.
    builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
    builder.AddSiloBuilderConfigurator<EchoOnly>();
}), IAsyncLifetime
{
    public int GatewayPort => (Cluster.Primary ?? throw new InvalidOperationException("The cluster is not deployed.")).GatewayAddress.Endpoint.Port;

    /// <summary>"localhost:PORT" of the silo's gateway.</summary>
    public string Gateway => $"localhost:{GatewayPort}";

    public LlamaOrleansClient Client => new(Cluster.Client);

    /// <summary>
    /// The CLI brings the real grains along (for its in-process silo); this silo serves the test double of
    /// IConversationGrain alone.
    /// </summary>
    private sealed class EchoOnly : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.Configure<GrainTypeOptions>(options => options.Classes.RemoveWhere(t => t.Assembly == typeof(LlamaOrleans.Grains.ConversationGrain).Assembly));
    }
}
