using LlamaOrleans.Http;
using LlamaOrleans.Http.Generation;
using LlamaOrleans.Http.Health;
using LlamaOrleans.Http.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlamaOrleans.Silo;

/// <summary>
/// The Llama silo host, as <c>llama-orleans-silo</c> runs it (<see cref="CreateApplication"/>, with the HTTP API); tests
/// and the CLI host the silo in-process with <see cref="CreateBuilder"/>, which has no web server.
/// </summary>
public static class LlamaSiloHost
{
    /// <summary>Prefix of environment variables read as configuration, e.g. <c>LLAMA_Orleans__SiloPort=11112</c>.</summary>
    public const string EnvironmentPrefix = "LLAMA_";

    /// <summary>
    /// The host as <c>llama-orleans-silo</c> runs it: the silo of <see cref="CreateBuilder"/> and, unless
    /// <c>Http:Enabled</c> is false, the HTTP API served by ASP.NET Core in the same process, on the silo's own grain
    /// factory. Configuration is read as <see cref="CreateBuilder"/> reads it.
    /// </summary>
    /// <exception cref="SiloConfigurationException">The Orleans, Storage or Http section is invalid.</exception>
    public static IHost CreateApplication(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddSources(builder.Configuration, configure);
        if (!HttpEnabled(builder.Configuration))
        {
            // No web server at all: the plain host, configured from the same sources.
            ((IDisposable)builder.Configuration).Dispose();
            return CreateBuilder(args, configure).Build();
        }

        builder.AddLlamaSilo();
        builder.AddLlamaHttpApi();
        // The API sees the grains through its own narrow interfaces, provided here from the grains' services.
        builder.Services.AddSingleton<IModelCatalog, HttpModelCatalog>();
        builder.Services.AddSingleton<IStatelessTurns, HttpStatelessTurns>();
        // The API reports readiness once this silo's models are loaded, which it starts as soon as the silo is up.
        builder.Services.AddSingleton<ModelWarmup>();
        builder.Services.AddSingleton<IModelReadiness>(sp => sp.GetRequiredService<ModelWarmup>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelWarmup>());
        var app = builder.Build();
        app.MapLlamaHttpApi();
        return app;
    }

    /// <summary>
    /// A host builder with the silo composed (see <see cref="LlamaSiloHostApplicationBuilderExtensions.AddLlamaSilo"/>).
    /// Configuration, later sources winning: appsettings.json and appsettings.{Environment}.json in the application's
    /// folder, environment variables (plain, then <see cref="EnvironmentPrefix"/>ed), <paramref name="args"/>
    /// (<c>--Orleans:SiloPort=11112</c>), then whatever <paramref name="configure"/> adds. The built host stops
    /// gracefully on Ctrl+C or SIGTERM.
    /// </summary>
    /// <exception cref="SiloConfigurationException">The Orleans or Storage section is invalid.</exception>
    public static HostApplicationBuilder CreateBuilder(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        // The shipped appsettings.json and demo model sit beside the binary, wherever it is started from.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddSources(builder.Configuration, configure);
        builder.AddLlamaSilo();
        return builder;
    }

    private static bool HttpEnabled(IConfiguration configuration)
    {
        const string Key = HttpApiOptions.SectionName + ":" + nameof(HttpApiOptions.Enabled);
        try
        {
            return configuration.GetValue(Key, defaultValue: true);
        }
        catch (InvalidOperationException ex)
        {
            throw new SiloConfigurationException($"{Key} must be true or false: {ex.Message}", ex);
        }
    }

    /// <summary>The <see cref="EnvironmentPrefix"/>ed variables, before the command line, then what <paramref name="configure"/> adds.</summary>
    private static void AddSources(IConfigurationBuilder configuration, Action<IConfigurationBuilder>? configure)
    {
        InsertBeforeCommandLine(configuration, new EnvironmentVariablesConfigurationSource { Prefix = EnvironmentPrefix });
        configure?.Invoke(configuration);
    }

    private static void InsertBeforeCommandLine(IConfigurationBuilder configuration, IConfigurationSource source)
    {
        var sources = configuration.Sources;
        var index = sources.Count;
        for (var i = sources.Count - 1; i >= 0; i--)
        {
            if (sources[i] is CommandLineConfigurationSource)
            {
                index = i;
                break;
            }
        }

        sources.Insert(index, source);
    }
}
