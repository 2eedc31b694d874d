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
}
