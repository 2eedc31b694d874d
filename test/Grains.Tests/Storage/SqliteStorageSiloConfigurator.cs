using LlamaOrleans.Grains;
using LlamaOrleans.Grains.Storage;
using Orleans.TestingHost;

namespace LlamaOrleans.Tests.Storage;

/// <summary>Gives each test silo the SQLite "conversations" storage on the file named by the cluster's properties.</summary>
public sealed class SqliteStorageSiloConfigurator : ISiloConfigurator
{
    public const string DataSourceKey = "Test:SqliteDataSource";

    public void Configure(ISiloBuilder siloBuilder) =>
        siloBuilder.AddSqliteGrainStorage(StorageNames.Conversations, options =>
            options.DataSource = siloBuilder.Configuration[DataSourceKey]
                ?? throw new InvalidOperationException($"The test cluster has no {DataSourceKey} property."));
}
