using System.Net;
using LlamaOrleans.Grains;
using LlamaOrleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Silo;

/// <summary>Composes a Llama silo into any host: clustering, conversation storage and the Llama grains.</summary>
public static class LlamaSiloHostApplicationBuilderExtensions
{
    /// <summary>
    /// Adds an Orleans silo configured from <paramref name="builder"/>'s configuration: the "Orleans" section
    /// (<see cref="SiloOrleansOptions"/>), the "Storage" section (<see cref="SiloStorageOptions"/>) and the "Llama"
    /// section (<see cref="LlamaHostingOptions"/>; relative model paths are taken from the application's folder, and
    /// the files of the models hosted here are checked when the host starts).
    /// </summary>
    /// <exception cref="SiloConfigurationException">The Orleans or Storage section is invalid.</exception>
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

        builder.UseOrleans(silo =>
        {
            UseClustering(silo, settings.Orleans);
            AddConversationStorage(silo, settings);
            silo.AddLlamaGrains(builder.Configuration.GetSection(LlamaHostingOptions.SectionName));
        });

        // After the silo's own hosted service, so the report comes once the silo is up.
        services.AddHostedService<SiloStartupReport>();
        return builder;
    }

    private static void UseClustering(ISiloBuilder silo, SiloOrleansOptions orleans)
    {
        switch (orleans.ClusteringMode)
        {
            case ClusteringModes.Localhost:
                var primary = orleans.PrimarySiloPort is { } port && port != orleans.SiloPort
                    ? new IPEndPoint(IPAddress.Loopback, port)
                    : null;
                silo.UseLocalhostClustering(orleans.SiloPort, orleans.GatewayPort, primary, orleans.ServiceId, orleans.ClusterId);
                break;
            default:
                throw new SiloConfigurationException($"Clustering mode '{orleans.ClusteringMode}' has no setup.");
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
            default:
                throw new SiloConfigurationException($"Storage provider '{settings.Storage.Provider}' has no setup.");
        }
    }
}
