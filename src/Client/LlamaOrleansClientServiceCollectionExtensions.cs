using LlamaOrleans.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers an Orleans client for a Llama cluster and <see cref="LlamaOrleansClient"/> over it.</summary>
public static class LlamaOrleansClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds an Orleans client connecting to the gateways of <see cref="LlamaOrleansClientOptions"/> (by default a
    /// silo on localhost:30000) and a singleton <see cref="LlamaOrleansClient"/>. The options are read when the
    /// client starts, so they may be bound from configuration or set by <paramref name="configure"/>. The client
    /// connects when the host starts.
    /// </summary>
    public static IServiceCollection AddLlamaOrleansClient(this IServiceCollection services, Action<LlamaOrleansClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<LlamaOrleansClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => !string.IsNullOrWhiteSpace(o.ClusterId) && !string.IsNullOrWhiteSpace(o.ServiceId),
            "LlamaOrleans client: ClusterId and ServiceId must not be empty.");
        options.Validate(o => o.ConnectTimeout > TimeSpan.Zero, "LlamaOrleans client: ConnectTimeout must be positive.");

        services.AddOrleansClient(client => client.UseStaticClustering(gateways =>
            gateways.Configure<IOptions<LlamaOrleansClientOptions>>((target, source) =>
            {
                var addresses = source.Value.Gateways.Count > 0 ? source.Value.Gateways : [LlamaOrleansClientOptions.DefaultGateway];
                target.Gateways = [.. GatewayEndpoints.Resolve(addresses).Select(e => e.ToGatewayUri())];
            })));
        services.AddOptions<ClusterOptions>().Configure<IOptions<LlamaOrleansClientOptions>>((target, source) =>
        {
            target.ClusterId = source.Value.ClusterId;
            target.ServiceId = source.Value.ServiceId;
        });
        // Replaces Orleans' own retry policy, which knows neither the ids nor a time limit.
        services.AddSingleton<IClientConnectionRetryFilter, ClusterConnectionRetryFilter>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LlamaOrleansClient>();
        return services;
    }

    /// <summary>
    /// Like <see cref="AddLlamaOrleansClient(IServiceCollection, Action{LlamaOrleansClientOptions}?)"/>, with the
    /// options bound first from the <see cref="LlamaOrleansClientOptions.SectionName"/> section of the builder's configuration.
    /// </summary>
    public static IHostApplicationBuilder AddLlamaOrleansClient(this IHostApplicationBuilder builder, Action<LlamaOrleansClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<LlamaOrleansClientOptions>().Bind(builder.Configuration.GetSection(LlamaOrleansClientOptions.SectionName));
        builder.Services.AddLlamaOrleansClient(configure);
        return builder;
    }
}
