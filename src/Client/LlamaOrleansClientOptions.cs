namespace LlamaOrleans.Client;

/// <summary>
/// Where the cluster is: its ids and its silos' gateway endpoints. Bound from the
/// <see cref="SectionName"/> configuration section by the host builder overload of
/// <see cref="LlamaOrleansClientServiceCollectionExtensions.AddLlamaOrleansClient(Microsoft.Extensions.Hosting.IHostApplicationBuilder, Action{LlamaOrleansClientOptions}?)"/>.
/// </summary>
public sealed class LlamaOrleansClientOptions
{
    public const string SectionName = "LlamaOrleans:Client";

    /// <summary>The gateway used when <see cref="Gateways"/> is empty: a silo on this machine.</summary>
    public const string DefaultGateway = "localhost:30000";

    /// <summary>Must match the silos' cluster id; the default is that of llama-orleans-silo.</summary>
    public string ClusterId { get; set; } = "dev";

    /// <summary>Must match the silos' service id; the default is that of llama-orleans-silo.</summary>
    public string ServiceId { get; set; } = "llama-orleans";

    /// <summary>Silo gateways as "host:port" (a name, an IPv4 address or a bracketed IPv6 address); empty means <see cref="DefaultGateway"/>.</summary>
    public List<string> Gateways { get; set; } = [];

    /// <summary>
    /// How long the client keeps trying to reach a silo of its cluster when the host starts; then the start fails with
    /// a <see cref="ClusterConnectionException"/> naming the ids and gateways tried.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
