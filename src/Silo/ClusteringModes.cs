namespace LlamaOrleans.Silo;

/// <summary>The values of <see cref="SiloOrleansOptions.ClusteringMode"/>.</summary>
public static class ClusteringModes
{
    /// <summary>
    /// Development clustering on the loopback interface: one process, or several on one machine that name the first
    /// one's silo port as <see cref="SiloOrleansOptions.PrimarySiloPort"/>.
    /// </summary>
    public const string Localhost = "Localhost";

    /// <summary>Membership in a Redis server, at <c>ConnectionStrings:Redis</c>.</summary>
    public const string Redis = "Redis";

    /// <summary>Membership in a PostgreSQL database (Orleans' ADO.NET provider), at <c>ConnectionStrings:PostgreSql</c>.</summary>
    public const string PostgreSql = "PostgreSql";

    public static IReadOnlyList<string> All { get; } = [Localhost, Redis, PostgreSql];
}
