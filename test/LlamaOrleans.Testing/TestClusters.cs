using Orleans.TestingHost;

namespace LlamaOrleans.Testing;

/// <summary>In-process Orleans test clusters (Orleans' TestingHost): started as a test project configures them, stopped whole.</summary>
public static class TestClusters
{
    /// <summary>
    /// Builds and deploys <paramref name="silos"/> silos; <paramref name="configure"/> adds the silo configurator (the
    /// grains, storage and test doubles each silo registers) and sets the rest (ids, transport, properties).
    /// </summary>
    public static async Task<TestCluster> StartAsync(short silos, Action<TestClusterBuilder> configure)
    {
        var cluster = Build(silos, configure);
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>The cluster of <see cref="StartAsync"/>, built but not yet deployed.</summary>
    public static TestCluster Build(short silos, Action<TestClusterBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new TestClusterBuilder(silos);
        configure(builder);
        return builder.Build();
    }

    /// <summary>Stops every silo gracefully, then releases the cluster.</summary>
    public static async Task StopAsync(this TestCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }
}
