using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Hosting;

namespace LlamaOrleans.Silo;

/// <summary>The Llama silo host, as <c>llama-orleans-silo</c> runs it; tests and the CLI host it in-process the same way.</summary>
public static class LlamaSiloHost
{
    /// <summary>Prefix of environment variables read as configuration, e.g. <c>LLAMA_Orleans__SiloPort=11112</c>.</summary>
    public const string EnvironmentPrefix = "LLAMA_";

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
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            // The shipped appsettings.json and demo model sit beside the binary, wherever it is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });
        InsertBeforeCommandLine(builder.Configuration, new EnvironmentVariablesConfigurationSource { Prefix = EnvironmentPrefix });
        configure?.Invoke(builder.Configuration);
        builder.AddLlamaSilo();
        return builder;
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
