using System.Net;
using LlamaOrleans.Grains;
using LlamaOrleans.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace LlamaOrleans.Tests.Silo;

/// <summary>
/// Clustering and storage providers chosen by configuration, read from the built (not started) host's real services;
/// the providers working against real servers is shown by the cluster tests.
/// </summary>
public sealed class SiloProviderConfigurationTests
{
    private static IHost Build(params string[] args) => LlamaSiloHost.CreateBuilder(args).Build();

    [Fact]
    public void Redis_clustering_and_storage_use_the_configured_connection_string_and_Orleans_binary_format()
    {
        using var host = Build(
            "--Orleans:ClusteringMode=redis", "--Storage:Provider=Redis", "--ConnectionStrings:Redis=127.0.0.1:6390,abortConnect=true",
            "--Orleans:AdvertisedIPAddress=127.0.0.1", "--Orleans:SiloPort=12101", "--Orleans:GatewayPort=12102");

        Assert.Equal("Redis", host.Services.GetRequiredService<IOptions<SiloOrleansOptions>>().Value.ClusteringMode);
        Assert.Equal("RedisMembershipTable", host.Services.GetRequiredService<IMembershipTable>().GetType().Name);
        var redis = host.Services.GetRequiredService<IOptions<Orleans.Clustering.Redis.RedisClusteringOptions>>().Value.ConfigurationOptions!;
        Assert.Equal("127.0.0.1:6390", Assert.Single(redis.EndPoints).ToString());
        Assert.False(redis.AbortOnConnectFail);

        Assert.Equal("RedisGrainStorage", host.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Conversations).GetType().Name);
        var storage = host.Services.GetRequiredService<IOptionsMonitor<Orleans.Persistence.RedisStorageOptions>>().Get(StorageNames.Conversations);
        Assert.IsType<OrleansGrainStorageSerializer>(storage.GrainStorageSerializer);

        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
        Assert.Equal(12101, endpoints.SiloPort);
        Assert.Equal(12102, endpoints.GatewayPort);
    }

    [Fact]
    public void PostgreSql_clustering_and_storage_use_Orleans_ADO_NET_providers_with_Npgsql()
    {
        const string ConnectionString = "Host=127.0.0.1;Port=5499;Username=llama;Database=llama";
        using var host = Build("--Orleans:ClusteringMode=PostgreSql", "--Storage:Provider=postgresql",
            $"--ConnectionStrings:PostgreSql={ConnectionString}");

        var clustering = host.Services.GetRequiredService<IOptions<AdoNetClusteringSiloOptions>>().Value;
        Assert.Equal("Npgsql", clustering.Invariant);
        Assert.Equal(ConnectionString, clustering.ConnectionString);
        var storage = host.Services.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get(StorageNames.Conversations);
        Assert.Equal("Npgsql", storage.Invariant);
        Assert.Equal(ConnectionString, storage.ConnectionString);
        Assert.IsType<OrleansGrainStorageSerializer>(storage.GrainStorageSerializer);
    }

    [Fact]
    public void The_drain_budget_sets_the_hosts_shutdown_timeout_with_room_for_Orleans_to_stop()
    {
        using var host = Build("--Orleans:ShutdownTimeout=00:00:45");

        Assert.Equal(TimeSpan.FromSeconds(45), host.Services.GetRequiredService<IOptions<SiloOrleansOptions>>().Value.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(75), host.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public void Kubernetes_hosting_is_added_when_asked_for()
    {
        string[] redis = ["--Orleans:ClusteringMode=Redis", "--ConnectionStrings:Redis=127.0.0.1:6390"];
        var plain = LlamaSiloHost.CreateBuilder(redis);
        var kubernetes = LlamaSiloHost.CreateBuilder([.. redis, "--Orleans:Kubernetes=true"]);

        // Registered only: resolving it needs a pod's environment.
        static bool HasKubernetesAgent(HostApplicationBuilder builder) => builder.Services.Any(d => d.ImplementationType?.Name == "KubernetesClusterAgent");
        Assert.False(HasKubernetesAgent(plain));
        Assert.True(HasKubernetesAgent(kubernetes));
    }

    [Fact]
    public void Orleans_membership_options_pass_through_for_failure_detection()
    {
        using var host = Build("--Orleans:Membership:ProbeTimeout=00:00:02", "--Orleans:Membership:NumMissedProbesLimit=2");

        var membership = host.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(2), membership.ProbeTimeout);
        Assert.Equal(2, membership.NumMissedProbesLimit);
    }

    [Fact]
    public void The_PostgreSQL_scripts_are_Orleans_three_in_order_and_define_the_queries_the_providers_ask_for()
    {
        Assert.Equal(["PostgreSQL-Main.sql", "PostgreSQL-Clustering.sql", "PostgreSQL-Persistence.sql"], PostgreSqlSchema.Scripts);
        Assert.Contains("CREATE TABLE OrleansQuery", PostgreSqlSchema.Read("PostgreSQL-Main.sql"), StringComparison.Ordinal);
        var clustering = PostgreSqlSchema.Read("PostgreSQL-Clustering.sql");
        foreach (var key in new[] { "MembershipReadAllKey", "InsertMembershipKey", "UpdateMembershipKey", "GatewaysQueryKey", "CleanupDefunctSiloEntriesKey" })
        {
            Assert.Contains($"'{key}'", clustering, StringComparison.Ordinal);
        }

        var persistence = PostgreSqlSchema.Read("PostgreSQL-Persistence.sql");
        foreach (var key in new[] { "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey" })
        {
            Assert.Contains($"'{key}'", persistence, StringComparison.Ordinal);
        }
    }
}
