using LlamaOrleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace LlamaOrleans.Tests.Storage;

/// <summary>
/// What a silo hands a grain storage provider: Orleans' activators and its default grain storage serializer (JSON),
/// taken from a real Orleans client container that is built but never started.
/// </summary>
internal static class StorageServices
{
    private static readonly Lazy<IHost> Host = new(() =>
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client => client.UseLocalhostClustering());
        return builder.Build();
    });

    private static readonly Lazy<IGrainStorageSerializer> Serializer =
        new(() => new JsonGrainStorageSerializer(Host.Value.Services.GetRequiredService<OrleansJsonSerializer>()));

    public static SqliteGrainStorage Create(string dataSource, bool deleteStateOnClear = false, string serviceId = "test-service")
    {
        var options = new SqliteGrainStorageOptions
        {
            DataSource = dataSource,
            DeleteStateOnClear = deleteStateOnClear,
            GrainStorageSerializer = Serializer.Value,
        };
        return new SqliteGrainStorage(
            "test-store",
            serviceId,
            options,
            Host.Value.Services.GetRequiredService<IActivatorProvider>(),
            NullLogger<SqliteGrainStorage>.Instance);
    }
}
