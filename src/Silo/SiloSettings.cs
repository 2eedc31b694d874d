using Microsoft.Extensions.Configuration;

namespace LlamaOrleans.Silo;

/// <summary>
/// The "Orleans" and "Storage" sections and the connection strings they need, read and checked when the silo is
/// composed: they choose which providers the silo is built with, so a mistake in them stops it before anything starts.
/// </summary>
internal sealed record SiloSettings(SiloOrleansOptions Orleans, SiloStorageOptions Storage, string? RedisConnectionString, string? PostgreSqlConnectionString)
{
    public const string RedisConnectionStringKey = "ConnectionStrings:Redis";
    public const string PostgreSqlConnectionStringKey = "ConnectionStrings:PostgreSql";

    public static SiloSettings Read(IConfiguration configuration)
    {
        var orleansSection = configuration.GetSection(SiloOrleansOptions.SectionName);
        foreach (var owned in new[] { "Clustering", "Endpoints" })
        {
            if (orleansSection.GetSection(owned).Exists())
            {
                throw new SiloConfigurationException(
                    $"{SiloOrleansOptions.SectionName}:{owned} is Orleans' own provider configuration, which this silo does not use: "
                    + $"set {SiloOrleansOptions.SectionName}:{nameof(SiloOrleansOptions.ClusteringMode)}, "
                    + $"{nameof(SiloOrleansOptions.SiloPort)} and {nameof(SiloOrleansOptions.GatewayPort)} instead.");
            }
        }

        var orleans = Bind<SiloOrleansOptions>(orleansSection);
        var storage = Bind<SiloStorageOptions>(configuration.GetSection(SiloStorageOptions.SectionName));
        Check(orleans);
        Check(storage);
        var redis = RequireConnectionString(configuration, RedisConnectionStringKey, ClusteringModes.Redis, StorageProviders.Redis, orleans, storage);
        var postgres = RequireConnectionString(configuration, PostgreSqlConnectionStringKey, ClusteringModes.PostgreSql, StorageProviders.PostgreSql, orleans, storage);
        return new SiloSettings(orleans, storage, redis, postgres);
    }

    /// <summary>Whether the silo uses PostgreSQL for anything, so its schema concerns it.</summary>
    public bool UsesPostgreSql => Orleans.ClusteringMode == ClusteringModes.PostgreSql || Storage.Provider == StorageProviders.PostgreSql;

    /// <summary>The connection string at <paramref name="key"/>, required when the clustering mode or the storage provider named uses it.</summary>
    private static string? RequireConnectionString(
        IConfiguration configuration, string key, string clustering, string provider, SiloOrleansOptions orleans, SiloStorageOptions storage)
    {
        var value = configuration[key];
        var users = new List<string>();
        if (orleans.ClusteringMode == clustering)
        {
            users.Add($"{SiloOrleansOptions.SectionName}:{nameof(SiloOrleansOptions.ClusteringMode)} {clustering}");
        }

        if (storage.Provider == provider)
        {
            users.Add($"{SiloStorageOptions.SectionName}:{nameof(SiloStorageOptions.Provider)} {provider}");
        }

        if (users.Count > 0 && string.IsNullOrWhiteSpace(value))
        {
            throw new SiloConfigurationException(
                $"{key} is not set, but {string.Join(" and ", users)} needs it "
                + $"(e.g. environment variable {LlamaSiloHost.EnvironmentPrefix}{key.Replace(":", "__", StringComparison.Ordinal)}).");
        }

        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    private static T Bind<T>(IConfigurationSection section)
        where T : new()
    {
        try
        {
            return section.Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            throw new SiloConfigurationException($"Section {section.Path}: {ex.Message}", ex);
        }
    }

    private static void Check(SiloOrleansOptions orleans)
    {
        const string Section = SiloOrleansOptions.SectionName;
        var mode = ClusteringModes.All.FirstOrDefault(m => string.Equals(m, orleans.ClusteringMode, StringComparison.OrdinalIgnoreCase))
            ?? throw new SiloConfigurationException(
                $"{Section}:{nameof(SiloOrleansOptions.ClusteringMode)} '{orleans.ClusteringMode}' is not known; "
                + $"supported: {string.Join(", ", ClusteringModes.All)}.");
        orleans.ClusteringMode = mode;

        RequireText(orleans.ClusterId, $"{Section}:{nameof(SiloOrleansOptions.ClusterId)}");
        RequireText(orleans.ServiceId, $"{Section}:{nameof(SiloOrleansOptions.ServiceId)}");
        RequirePort(orleans.SiloPort, $"{Section}:{nameof(SiloOrleansOptions.SiloPort)}");
        RequirePort(orleans.GatewayPort, $"{Section}:{nameof(SiloOrleansOptions.GatewayPort)}");
        if (orleans.SiloPort == orleans.GatewayPort)
        {
            throw new SiloConfigurationException(
                $"{Section}:{nameof(SiloOrleansOptions.SiloPort)} and {nameof(SiloOrleansOptions.GatewayPort)} are both {orleans.SiloPort}; they must differ.");
        }

        if (orleans.PrimarySiloPort is { } primary)
        {
            RequirePort(primary, $"{Section}:{nameof(SiloOrleansOptions.PrimarySiloPort)}");
        }

        if (orleans.AdvertisedIPAddress is { Length: > 0 } advertised && !System.Net.IPAddress.TryParse(advertised, out _))
        {
            throw new SiloConfigurationException(
                $"{Section}:{nameof(SiloOrleansOptions.AdvertisedIPAddress)} '{advertised}' is not an IP address.");
        }

        if (orleans.ShutdownTimeout <= TimeSpan.Zero)
        {
            throw new SiloConfigurationException(
                $"{Section}:{nameof(SiloOrleansOptions.ShutdownTimeout)} is {orleans.ShutdownTimeout}; it must be positive (e.g. 00:00:30).");
        }

        if (orleans.Kubernetes && orleans.ClusteringMode == ClusteringModes.Localhost)
        {
            throw new SiloConfigurationException(
                $"{Section}:{nameof(SiloOrleansOptions.Kubernetes)} needs a shared membership: set {Section}:{nameof(SiloOrleansOptions.ClusteringMode)} "
                + $"to {ClusteringModes.Redis} or {ClusteringModes.PostgreSql}.");
        }
    }

    /// <summary>Also makes <see cref="SiloStorageOptions.DataSource"/> a full path, from the current directory.</summary>
    private static void Check(SiloStorageOptions storage)
    {
        const string Section = SiloStorageOptions.SectionName;
        var provider = StorageProviders.All.FirstOrDefault(p => string.Equals(p, storage.Provider, StringComparison.OrdinalIgnoreCase))
            ?? throw new SiloConfigurationException(
                $"{Section}:{nameof(SiloStorageOptions.Provider)} '{storage.Provider}' is not known; "
                + $"supported: {string.Join(", ", StorageProviders.All)}.");
        storage.Provider = provider;

        RequireText(storage.DataSource, $"{Section}:{nameof(SiloStorageOptions.DataSource)}");
        try
        {
            storage.DataSource = Path.GetFullPath(storage.DataSource);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new SiloConfigurationException(
                $"{Section}:{nameof(SiloStorageOptions.DataSource)} '{storage.DataSource}' is not a valid path: {ex.Message}", ex);
        }
    }

    private static void RequireText(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new SiloConfigurationException($"{key} is empty.");
        }
    }

    private static void RequirePort(int port, string key)
    {
        if (port is < 1 or > 65535)
        {
            throw new SiloConfigurationException($"{key} is {port}; a port is between 1 and 65535.");
        }
    }
}
