using LlamaOrleans.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace LlamaOrleans.Grains.Tests;

/// <summary>A test cluster whose silos all host the demo model and keep conversations in one SQLite file.</summary>
internal static class SqliteCluster
{
    private const string DatabaseKey = "Test:Database";

    public static Task<TestCluster> StartAsync(int silos, string database, string? serviceId = null) =>
        TestClusters.StartAsync((short)silos, builder =>
        {
            if (serviceId is not null)
            {
                builder.Options.ServiceId = serviceId;
            }

            builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?> { [DatabaseKey] = database }));
            builder.AddSiloBuilderConfigurator<Silo>();
        });

    private sealed class Silo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var database = siloBuilder.Configuration[DatabaseKey]!;
            siloBuilder.AddSqliteGrainStorage(StorageNames.Conversations, o => o.DataSource = database);
            siloBuilder.AddLlamaGrains(ClusterFixture.Models(host: true));
        }
    }
}
