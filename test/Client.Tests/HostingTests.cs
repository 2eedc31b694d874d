using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace LlamaOrleans.Client.Tests;

public sealed class HostingTests(ClusterFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task The_host_builder_overload_binds_the_options_from_configuration_and_connects()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LlamaOrleans:Client:ClusterId"] = "dev",
            ["LlamaOrleans:Client:Gateways:0"] = $"127.0.0.1:{fixture.GatewayPort}",
        });
        builder.AddLlamaOrleansClient();
        using var host = builder.Build();
        await host.StartAsync(Cancel);

        var conversation = host.Services.GetRequiredService<LlamaOrleansClient>().NewConversation();
        await conversation.ConfigureAsync(new ConversationSettings(), Cancel);
        var turn = await conversation.SendAsync("through the gateway", cancellationToken: Cancel);

        Assert.Equal("echo: through the gateway", turn.Reply);
        await host.StopAsync(Cancel);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_service_collection_overload_takes_options_from_its_delegate()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLlamaOrleansClient(o => o.Gateways = [fixture.Gateway]);
        using var host = builder.Build();
        await host.StartAsync(Cancel);

        var conversation = host.Services.GetRequiredService<LlamaOrleansClient>().NewConversation();
        var status = await conversation.UpdateSettingsAsync(s => s with { Model = "m" }, Cancel);

        Assert.Equal("m", status.Settings.Model);
        await host.StopAsync(Cancel);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("elsewhere", true)]
    [InlineData("dev", false)]
    public async Task A_client_that_finds_no_silo_of_its_cluster_fails_to_start_within_its_timeout_naming_ids_and_gateways(
        string clusterId, bool atTheFixture)
    {
        // A silo of another cluster id at the gateway, or nothing listening there at all.
        var gateway = atTheFixture ? fixture.Gateway : $"127.0.0.1:{UnusedPort()}";
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLlamaOrleansClient(o =>
        {
            o.ClusterId = clusterId;
            o.Gateways = [gateway];
            o.ConnectTimeout = TimeSpan.FromSeconds(3);
        });
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<ClusterConnectionException>(() => host.StartAsync(Cancel));

        Assert.StartsWith($"No silo of cluster '{clusterId}' (service 'llama-orleans') answered at {gateway} within 3 s: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Without_gateways_the_client_looks_for_a_local_silo_as_llama_orleans_silo_runs_by_default()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLlamaOrleansClient();
        using var provider = services.BuildServiceProvider();

        var gateways = provider.GetRequiredService<IOptions<StaticGatewayListProviderOptions>>().Value.Gateways;
        var cluster = provider.GetRequiredService<IOptions<ClusterOptions>>().Value;

        Assert.Equal("gwy.tcp://127.0.0.1:30000/0", Assert.Single(gateways).ToString());
        Assert.Equal(("dev", "llama-orleans"), (cluster.ClusterId, cluster.ServiceId));
        Assert.NotNull(provider.GetRequiredService<LlamaOrleansClient>());
    }

    [Fact]
    public void Empty_cluster_ids_are_refused_when_the_options_are_read()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLlamaOrleansClient(o => o.ClusterId = " ");
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ClusterOptions>>().Value);
        Assert.Contains("ClusterId", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:30000", "localhost", 30000)]
    [InlineData("10.1.2.3:1", "10.1.2.3", 1)]
    [InlineData("[::1]:11111", "::1", 11111)]
    [InlineData("silo-a.example:65535", "silo-a.example", 65535)]
    public void Gateway_addresses_split_into_host_and_port(string text, string host, int port) =>
        Assert.Equal((host, port), GatewayEndpoints.Parse(text));

    [Theory]
    [InlineData("localhost")]
    [InlineData(":30000")]
    [InlineData("localhost:")]
    [InlineData("localhost:0")]
    [InlineData("localhost:65536")]
    [InlineData("localhost:-1")]
    [InlineData("localhost:30 000")]
    [InlineData("my host:30000")]
    [InlineData("[]:30000")]
    public void Malformed_gateway_addresses_are_refused(string text)
    {
        var e = Assert.Throws<FormatException>(() => GatewayEndpoints.Parse(text));
        Assert.Contains("HOST:PORT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gateways_resolve_to_ip_endpoints_with_localhost_on_the_ipv4_loopback()
    {
        var endpoints = GatewayEndpoints.Resolve(["localhost:1", "192.168.0.9:2", "[::1]:3"]);

        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Parse("192.168.0.9"), 2), new IPEndPoint(IPAddress.IPv6Loopback, 3)],
            endpoints);
        Assert.ThrowsAny<SocketException>(() => GatewayEndpoints.Resolve(["no-such-host.invalid:1"]));
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
