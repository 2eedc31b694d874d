using Orleans.TestingHost;

namespace LlamaOrleans.Testing;

/// <summary>
/// A test project's shared in-process cluster: deployed once for the tests that share it, stopped after them. A
/// project's fixture derives from it, says how many silos and what each registers, and adds xunit's
/// <c>IAsyncLifetime</c>, which these members implement.
/// </summary>
public abstract class TestClusterFixture : IAsyncDisposable
{
    /// <param name="configure">Adds the silo configurator and sets what else the cluster needs (see <see cref="TestClusters.Build"/>).</param>
    protected TestClusterFixture(short silos, Action<TestClusterBuilder> configure)
    {
        Cluster = TestClusters.Build(silos, configure);
    }

    public TestCluster Cluster { get; }

    public IGrainFactory Grains => Cluster.Client;

    public virtual async ValueTask InitializeAsync() => await Cluster.DeployAsync();

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAsync();
        GC.SuppressFinalize(this);
    }
}
