using Orleans.Core.Internal;

namespace LlamaOrleans.Grains.Tests;

[Collection(nameof(ClusterCollection))]
public sealed class ModelRegistryTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_new_registry_activation_knows_the_hosting_silos_from_its_first_call()
    {
        var registry = fixture.Grains.GetGrain<IModelRegistryGrain>(0);
        Assert.Equal(2, (await registry.GetHosts(ClusterFixture.Model)).Length);

        // As when its silo dies: the activation and all it was told are gone, and the silos' next periodic
        // registration is seconds away.
        await registry.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Task.Delay(TimeSpan.FromSeconds(1));

        var hosts = await registry.GetHosts(ClusterFixture.Model);
        Assert.Equal(2, hosts.Length);
        Assert.Equal(fixture.Cluster.Silos.Take(2).Select(s => s.SiloAddress.ToParsableString()).Order(StringComparer.Ordinal), hosts);
        Assert.True((await registry.GetModel(ClusterFixture.Model)).Ready);
    }
}
