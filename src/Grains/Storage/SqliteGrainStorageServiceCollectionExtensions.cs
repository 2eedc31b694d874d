using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace LlamaOrleans.Grains.Storage;

/// <summary>Registers <see cref="SqliteGrainStorage"/> providers in a silo's services.</summary>
public static class SqliteGrainStorageServiceCollectionExtensions
{
    /// <summary>Adds a SQLite grain storage provider named <paramref name="name"/>.</summary>
    public static IServiceCollection AddSqliteGrainStorage(
        this IServiceCollection services, string name, Action<SqliteGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddSqliteGrainStorage(name, options => options.Configure(configure));
    }

    /// <summary>
    /// Adds a SQLite grain storage provider named <paramref name="name"/>, its options set through an options builder
    /// (to bind configuration or use other services).
    /// </summary>
    public static IServiceCollection AddSqliteGrainStorage(
        this IServiceCollection services, string name, Action<OptionsBuilder<SqliteGrainStorageOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configureOptions);

        configureOptions(services.AddOptions<SqliteGrainStorageOptions>(name));
        // Orleans' own binary format by default: exact for every [GenerateSerializer] state type, whereas the JSON
        // default drops members equal to their type's default (a temperature of 0 would come back as 0.6).
        services.AddTransient<IPostConfigureOptions<SqliteGrainStorageOptions>>(provider =>
            new PostConfigureOptions<SqliteGrainStorageOptions>(name, options =>
                options.GrainStorageSerializer ??= new OrleansGrainStorageSerializer(provider.GetRequiredService<Orleans.Serialization.Serializer>())));
        services.TryAddEnumerable(ServiceDescriptor.Transient<
            IPostConfigureOptions<SqliteGrainStorageOptions>,
            DefaultStorageProviderSerializerOptionsConfigurator<SqliteGrainStorageOptions>>());
        services.AddTransient<IConfigurationValidator>(provider => new SqliteGrainStorageOptionsValidator(
            provider.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(name), name));
        return services.AddGrainStorage(name, Create);
    }

    private static SqliteGrainStorage Create(IServiceProvider services, string name) => new(
        name,
        services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
        services.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(name),
        services.GetRequiredService<IActivatorProvider>(),
        services.GetRequiredService<ILogger<SqliteGrainStorage>>());
}
