using Microsoft.Data.Sqlite;

namespace LlamaOrleans.Testing;

/// <summary>A SQLite database file in a <see cref="TempFolder"/> of its own, deleted afterwards with the folder.</summary>
public sealed class TempDatabase : IDisposable
{
    private readonly TempFolder _folder = new("llama-orleans-db-");

    public TempDatabase()
    {
        FilePath = _folder.File(System.IO.Path.Combine("state", "grains.db"));
    }

    public string Folder => _folder.Path;

    /// <summary>The database file, in a subfolder that does not exist yet.</summary>
    public string FilePath { get; }

    /// <summary>Runs a query on the file through a connection of its own, as a separate reader would.</summary>
    public long Count(string sql) =>
        Convert.ToInt64(Query(sql), System.Globalization.CultureInfo.InvariantCulture);

    public string? Scalar(string sql) => Query(sql) as string;

    public void Dispose()
    {
        // Pooled connections keep the file open; release them so the folder can go.
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private object? Query(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={FilePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
