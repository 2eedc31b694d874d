using System.Globalization;
using Npgsql;

namespace LlamaOrleans.Cluster.Tests.Servers;

/// <summary>
/// A PostgreSQL server of its own (initdb + pg_ctl) on a free loopback port, its cluster in a temporary folder. Under
/// root, which PostgreSQL refuses, it runs as the postgres user the Debian package creates. Installed by
/// build/setup-databases.sh.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string _bin;

    private PostgresServer(string folder, string bin, int port)
    {
        _folder = folder;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    private string DataDirectory => Path.Combine(_folder, "data");

    public static async Task<PostgresServer> CreateAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL is not installed: run build/setup-databases.sh (Debian package postgresql).");
        }

        var folder = Directory.CreateTempSubdirectory("llama-postgres-").FullName;
        if (ProcessRunner.IsRoot)
        {
            await ProcessRunner.RunCheckedAsync("chown", ["postgres:", folder]);
        }

        var server = new PostgresServer(folder, bin, FreePorts.Take(1)[0]);
        await server.RunTool("initdb", ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        await server.StartAsync();
        return server;
    }

    /// <summary>A connection string for <paramref name="database"/>; short timeouts, so an outage surfaces in seconds.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=3;Command Timeout=10";

    /// <summary>Creates an empty database.</summary>
    public async Task CreateDatabaseAsync(string database)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    public Task StartAsync() => RunTool("pg_ctl", [
        "-D", DataDirectory, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60",
        "-o", $"-p {Port.ToString(CultureInfo.InvariantCulture)} -c listen_addresses=127.0.0.1 -k {_folder} -c fsync=off -c max_connections=200",
        "start"]);

    /// <summary>Stops the server (fast shutdown: sessions are cut), as an outage.</summary>
    public async Task StopAsync()
    {
        await RunTool("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "stop"]);
        NpgsqlConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunTool("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_folder, recursive: true);
    }

    private Task<string> RunTool(string tool, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_bin, tool);
        return ProcessRunner.IsRoot
            ? ProcessRunner.RunCheckedAsync("runuser", ["-u", "postgres", "--", path, .. arguments])
            : ProcessRunner.RunCheckedAsync(path, arguments);
    }
}
