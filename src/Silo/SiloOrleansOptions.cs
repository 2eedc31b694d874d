namespace LlamaOrleans.Silo;

/// <summary>
/// The "Orleans" configuration section: which cluster this silo joins and where it listens. Orleans itself also reads
/// ClusterId and ServiceId from this section, with the same meaning; its own Clustering and Endpoints subsections are
/// refused here, since <see cref="ClusteringMode"/> and the ports below choose them.
/// </summary>
public sealed class SiloOrleansOptions
{
    public const string SectionName = "Orleans";

    public string ClusterId { get; set; } = "dev";

    /// <summary>Identity of the service across deployments; grain state is stored under it.</summary>
    public string ServiceId { get; set; } = "llama-orleans";

    /// <summary>How silos find each other; one of <see cref="ClusteringModes.All"/>.</summary>
    public string ClusteringMode { get; set; } = ClusteringModes.Localhost;

    /// <summary>Port for silo-to-silo traffic.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port clients connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// Localhost clustering: the silo port of the cluster's first silo, for a further silo on the same machine; unset,
    /// this silo is the first.
    /// </summary>
    public int? PrimarySiloPort { get; set; }

    /// <summary>
    /// The address other silos and clients reach this one at (Redis and PostgreSql clustering); unset, the host's
    /// first address. Localhost clustering always uses 127.0.0.1.
    /// </summary>
    public string? AdvertisedIPAddress { get; set; }

    /// <summary>
    /// Whether the silo runs in a Kubernetes pod: Orleans' Kubernetes hosting then takes the silo's name, address and
    /// cluster ids from the pod (POD_NAME, POD_NAMESPACE, POD_IP) and removes silos whose pods are gone.
    /// </summary>
    public bool Kubernetes { get; set; }

    /// <summary>
    /// The drain budget on SIGTERM: how long the silo lets turns in progress finish (refusing new ones) before its
    /// conversations are handed over to other silos.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
