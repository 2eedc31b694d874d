using System.Net;
using LlamaOrleans.Grains;
using LlamaOrleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using StackExchange.Redis;

namespace LlamaOrleans.Silo;

/// <summary>Composes a Llama silo into any host: clustering, conversation storage and the Llama grains.</summary>
public static class LlamaSiloHostApplicationBuilderExtensions
{
    // Orleans' name for the Npgsql provider in its ADO.NET providers.
    private const string NpgsqlInvariant = "Npgsql";

    // After the drain, Orleans still deactivates this silo's grains and leaves the cluster.
    private static readonly TimeSpan OrleansStopAllowance = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Adds an Orleans silo configured from <paramref name="builder"/>'s configuration: the "Orleans" section
    /// (<see cref="SiloOrleansOptions"/>), the "Storage" section (<see cref="SiloStorageOptions"/>), the connection
    /// strings "ConnectionStrings:Redis" and "ConnectionStrings:PostgreSql" where those providers are chosen, and the
    /// "Llama" section (<see cref="LlamaHostingOptions"/>; relative model paths are taken from the application's folder,
    /// and the files of the models hosted here are checked when the host starts). On stop, the silo first drains: it
    /// refuses new turns and lets running ones finish within <see cref="SiloOrleansOptions.ShutdownTimeout"/>.
    /// </summary>
    /// <exception cref="SiloConfigurationException">The Orleans or Storage section is invalid, or a connection string it needs is missing.</exception>
    public static IHostApplicationBuilder AddLlamaSilo(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = SiloSettings.Read(builder.Configuration);

        var services = builder.Services;
        services.AddSingleton(Options.Create(settings.Orleans));
        services.AddSingleton(Options.Create(settings.Storage));
        services.AddSingleton<IPostConfigureOptions<LlamaHostingOptions>, ModelPathResolver>();
        services.AddSingleton<IValidateOptions<LlamaHostingOptions>, ModelFilesValidator>();
        services.AddOptions<LlamaHostingOptions>().ValidateOnStart();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.Orleans.ShutdownTimeout + OrleansStopAllowance);

        if (settings.Storage.CreatePostgreSqlSchema && settings.UsesPostgreSql)
        {
            // Before the silo's own hosted service, which needs the tables.
            services.AddHostedService(sp => new PostgreSqlSchemaSetup(settings.PostgreSqlConnectionString!, sp.GetRequiredService<ILogger<PostgreSqlSchemaSetup>>()));
        }

        builder.UseOrleans(silo =>
        {
            UseClustering(silo, settings);
            // Failure detection (probe timeouts, votes) as Orleans' ClusterMembershipOptions, e.g. Orleans:Membership:ProbeTimeout.
            silo.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection($"{SiloOrleansOptions.SectionName}:Membership"));
            AddConversationStorage(silo, settings);
            silo.AddLlamaGrains(builder.Configuration.GetSection(LlamaHostingOptions.SectionName));
            if (settings.Orleans.Kubernetes)
            {
                silo.UseKubernetesHosting();
            }
        });

        // After the silo's own hosted service: the report comes once the silo is up, and the drain runs before it stops.
        services.AddHostedService<SiloStartupReport>();
        services.AddHostedService<SiloDrain>();
        return builder;
    }

    private static void UseClustering(ISiloBuilder silo, SiloSettings settings)
    {
        var orleans = settings.Orleans;
        switch (orleans.ClusteringMode)
        {
            case ClusteringModes.Localhost:
                var primary = orleans.PrimarySiloPort is { } port && port != orleans.SiloPort
                    ? new IPEndPoint(IPAddress.Loopback, port)
                    : null;
                silo.UseLocalhostClustering(orleans.SiloPort, orleans.GatewayPort, primary, orleans.ServiceId, orleans.ClusterId);
                return;
            case ClusteringModes.Redis:
                silo.UseRedisClustering(o => o.ConfigurationOptions = RedisOptions(settings.RedisConnectionString!));
                break;
            case ClusteringModes.PostgreSql:
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = NpgsqlInvariant;
                    o.ConnectionString = settings.PostgreSqlConnectionString;
                });
                break;
            default:
                throw new SiloConfigurationException($"Clustering mode '{orleans.ClusteringMode}' has no setup.");
        }

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = orleans.ClusterId;
            o.ServiceId = orleans.ServiceId;
        });
        if (orleans.AdvertisedIPAddress is { Length: > 0 } advertised)
        {
            var address = IPAddress.Parse(advertised);
            silo.ConfigureEndpoints(address, orleans.SiloPort, orleans.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(address));
        }
        else
        {
            silo.ConfigureEndpoints(orleans.SiloPort, orleans.GatewayPort, listenOnAnyHostAddress: true);
        }
    }

    private static void AddConversationStorage(ISiloBuilder silo, SiloSettings settings)
    {
        switch (settings.Storage.Provider)
        {
            case StorageProviders.Sqlite:
                silo.AddSqliteGrainStorage(StorageNames.Conversations, options =>
                {
                    options.DataSource = settings.Storage.DataSource;
                    options.DeleteStateOnClear = settings.Storage.DeleteStateOnClear;
                });
                break;
            case StorageProviders.Redis:
                silo.AddRedisGrainStorage(StorageNames.Conversations, options => options.Configure<Orleans.Serialization.Serializer>((o, serializer) =>
                {
                    o.ConfigurationOptions = RedisOptions(settings.RedisConnectionString!);
                    o.DeleteStateOnClear = settings.Storage.DeleteStateOnClear;
                    o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
                break;
            case StorageProviders.PostgreSql:
                silo.AddAdoNetGrainStorage(StorageNames.Conversations, options => options.Configure<Orleans.Serialization.Serializer>((o, serializer) =>
                {
                    o.Invariant = NpgsqlInvariant;
                    o.ConnectionString = settings.PostgreSqlConnectionString;
                    o.DeleteStateOnClear = settings.Storage.DeleteStateOnClear;
                    o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
                break;
            default:
                throw new SiloConfigurationException($"Storage provider '{settings.Storage.Provider}' has no setup.");
        }
    }

    /// <summary>
    /// The Redis connection string as StackExchange.Redis options; the silo keeps reconnecting in the background
    /// rather than failing for good when the server is away.
    /// </summary>
    private static ConfigurationOptions RedisOptions(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        return options;
    }
}
