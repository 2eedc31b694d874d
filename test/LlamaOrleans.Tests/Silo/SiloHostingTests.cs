using LlamaOrleans.Silo;
using LlamaOrleans.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlamaOrleans.Tests.Silo;

/// <summary>The default silo, started in-process on free ports and reached by a real client over its gateway.</summary>
public sealed class SiloHostingTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task The_default_silo_starts_serves_a_client_on_its_gateway_and_stops()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var ports = FreePorts.Take(2);
        int siloPort = ports[0], gatewayPort = ports[1];
        using var silo = LlamaSiloHost.CreateBuilder(
        [
            $"--Orleans:SiloPort={siloPort}",
            $"--Orleans:GatewayPort={gatewayPort}",
            "--Orleans:ServiceId=silo-test",
            $"--Storage:DataSource={_database.FilePath}",
        ]).Build();

        await silo.StartAsync(cancellation);
        try
        {
            Assert.True(File.Exists(_database.FilePath));
            Assert.Equal(0, _database.Count("SELECT COUNT(*) FROM GrainState;"));

            var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            clientBuilder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort, "silo-test", "dev"));
            using var client = clientBuilder.Build();
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
}
