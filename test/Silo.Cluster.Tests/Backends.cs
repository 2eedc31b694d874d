using LlamaOrleans.Cluster.Tests.Servers;

namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// Where a test cluster keeps its membership and conversations: the silo's configuration keys for it, and (for
/// servers) a way to take storage away and bring it back.
/// </summary>
public abstract class Backend : IAsyncLifetime
{
    /// <summary>Cluster and service ids unique to this backend instance, so test classes never see each other's data.</summary>
    public string ServiceId { get; } = "svc-" + Guid.NewGuid().ToString("N")[..12];

    public abstract string Name { get; }

    /// <summary>Silo configuration for clustering and storage; <paramref name="folder"/> is the test's working folder.</summary>
    public abstract IReadOnlyDictionary<string, string> SiloSettings(string folder);

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Takes the storage server away (an outage).</summary>
    public virtual Task StopServerAsync() => throw new NotSupportedException($"{Name} has no server to stop.");

    /// <summary>Brings the storage server back.</summary>
    public virtual Task StartServerAsync() => throw new NotSupportedException($"{Name} has no server to start.");
}

/// <summary>The default: Localhost clustering and an embedded SQLite file.</summary>
public sealed class SqliteBackend : Backend
{
    public override string Name => "Sqlite";

    public override IReadOnlyDictionary<string, string> SiloSettings(string folder) => new Dictionary<string, string>
    {
        ["Orleans:ClusteringMode"] = "Localhost",
        ["Storage:Provider"] = "Sqlite",
        ["Storage:DataSource"] = Path.Combine(folder, "conversations.db"),
    };
}

/// <summary>Redis clustering and Redis storage, on a redis-server of its own.</summary>
public sealed class RedisBackend : Backend
{
    private RedisServer? _server;

    public override string Name => "Redis";

    public override async ValueTask InitializeAsync() => _server = await RedisServer.StartAsync();

    public override async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public override IReadOnlyDictionary<string, string> SiloSettings(string folder) => new Dictionary<string, string>
    {
        ["Orleans:ClusteringMode"] = "Redis",
        ["Storage:Provider"] = "Redis",
        ["ConnectionStrings:Redis"] = _server!.ConnectionString,
    };

    public override Task StopServerAsync() => _server!.StopAsync();

    public override Task StartServerAsync() => _server!.StartAsync(TimeSpan.FromSeconds(30));
}

/// <summary>PostgreSQL clustering and storage (Orleans' ADO.NET providers), on a PostgreSQL server of its own.</summary>
public sealed class PostgreSqlBackend : Backend
{
    private const string Database = "llama";
    private PostgresServer? _server;

    public override string Name => "PostgreSql";

    public override async ValueTask InitializeAsync()
    {
        _server = await PostgresServer.CreateAsync();
        await _server.CreateDatabaseAsync(Database);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public override IReadOnlyDictionary<string, string> SiloSettings(string folder) => new Dictionary<string, string>
    {
        ["Orleans:ClusteringMode"] = "PostgreSql",
        ["Storage:Provider"] = "PostgreSql",
        ["ConnectionStrings:PostgreSql"] = _server!.ConnectionString(Database),
        // The documented setup step, done by the silos themselves: the database starts empty.
        ["Storage:CreatePostgreSqlSchema"] = "true",
    };

    public override Task StopServerAsync() => _server!.StopAsync();

    public override Task StartServerAsync() => _server!.StartAsync();
}
