using System.Reflection;
using Npgsql;

namespace LlamaOrleans.Silo;

/// <summary>
/// Orleans' PostgreSQL scripts for clustering and grain storage (embedded from <c>src/Silo/third_party/orleans-postgresql</c>), applied to a
/// database that lacks them.
/// </summary>
public static class PostgreSqlSchema
{
    /// <summary>The scripts in the order they are applied.</summary>
    public static IReadOnlyList<string> Scripts { get; } = ["PostgreSQL-Main.sql", "PostgreSQL-Clustering.sql", "PostgreSQL-Persistence.sql"];

    // Any fixed number: silos starting together take turns, so only the first applies the scripts.
    private const long SetupLockKey = 0x4C6C616D61_5067;

    /// <summary>
    /// Applies the scripts in one transaction unless the database has them already (Orleans' query table exists).
    /// Safe to run from several silos at once.
    /// </summary>
    /// <returns>Whether the scripts were applied now.</returns>
    public static async Task<bool> EnsureAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SetupLockKey})", connection, transaction))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var probe = new NpgsqlCommand("SELECT to_regclass('orleansquery') IS NOT NULL", connection, transaction))
        {
            if (await probe.ExecuteScalarAsync(cancellationToken) is true)
            {
                await transaction.CommitAsync(cancellationToken);
                return false;
            }
        }

        foreach (var script in Scripts)
        {
            await using var command = new NpgsqlCommand(Read(script), connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The text of one of <see cref="Scripts"/>.</summary>
    public static string Read(string script)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"LlamaOrleans.Silo.PostgreSql.{script}")
            ?? throw new FileNotFoundException($"The embedded script {script} is missing.", script);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
