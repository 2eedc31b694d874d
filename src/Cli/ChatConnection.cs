using LlamaOrleans.Client;
using LlamaOrleans.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Llama.Cli;

/// <summary>The chat command's link to a cluster: an Orleans client host, stopped on dispose.</summary>
internal sealed class ChatConnection : IAsyncDisposable
{
    /// <summary>How long to wait for a gateway: the Orleans client otherwise retries a refused connection for minutes.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly IHost _host;

    private ChatConnection(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<LlamaOrleansClient>();
        Grains = host.Services.GetRequiredService<IGrainFactory>();
    }

    public LlamaOrleansClient Client { get; }

    /// <summary>The cluster's grains, for commands that read more than conversations.</summary>
    public IGrainFactory Grains { get; }

    /// <summary>Where the in-process silo keeps conversations; null when connected to a running cluster.</summary>
    public SiloStorageOptions? Storage { get; private init; }

    /// <summary>
    /// Connects to the silo gateway of <paramref name="address"/>; throws <see cref="ClusterUnavailableException"/>,
    /// naming the gateway and the cluster's ids, when none answers there.
    /// </summary>
    public static async Task<ChatConnection> OpenAsync(ClusterAddress address, CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // The command owns the console: no host lifetime may catch Ctrl+C or SIGTERM.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.AddLlamaOrleansClient(options =>
        {
            options.Gateways = [address.Silo];
            options.ClusterId = address.EffectiveClusterId;
            options.ServiceId = address.EffectiveServiceId;
            options.ConnectTimeout = ConnectTimeout;
        });
        var host = builder.Build();
        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connecting.CancelAfter(ConnectTimeout);
        try
        {
            await host.StartAsync(connecting.Token);
            return new ChatConnection(host);
        }
        catch (Exception e)
        {
            host.Dispose();
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            var reason = e switch
            {
                OperationCanceledException or ClusterConnectionException { InnerException: null } => $"none within {ConnectTimeout.TotalSeconds:0} s",
                ClusterConnectionException { InnerException: { } last } => last.Message.Split('\n')[0].Trim(),
                _ => e.Message.Split('\n')[0].Trim(),
            };
            throw new ClusterUnavailableException(
                $"no silo answered at {address.Description} ({reason}); start one, or pass the silo's --silo HOST:PORT, --cluster-id and --service-id",
                e);
        }
    }

    /// <summary>
    /// Starts the embedded default silo in this process (demo model, conversations where its Storage settings say, the
    /// same configuration sources as llama-orleans-silo, and <paramref name="address"/>'s ids where given) and talks to it
    /// directly. Its log goes to stderr, warnings and errors only, so that a command's output stays its own.
    /// </summary>
    public static async Task<ChatConnection> StartInProcessAsync(ClusterAddress address, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>
        {
            // The chat owns the terminal: only problems are worth printing, and Orleans' start-up notes are not.
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans"] = "Error",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        };
        if (address.ClusterId is { } clusterId)
        {
            settings["Orleans:ClusterId"] = clusterId;
        }

        if (address.ServiceId is { } serviceId)
        {
            settings["Orleans:ServiceId"] = serviceId;
        }

        var builder = LlamaSiloHost.CreateBuilder([], configuration => configuration.AddInMemoryCollection(settings));
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.Services.AddSingleton<LlamaOrleansClient>();
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            return new ChatConnection(host) { Storage = host.Services.GetRequiredService<IOptions<SiloStorageOptions>>().Value };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            host.Dispose();
            throw new ClusterUnavailableException($"the in-process silo did not start: {e.Message}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A silo that went away must not hold the command's exit.
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _host.StopAsync(stopping.Token);
        _host.Dispose();
    }

    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
