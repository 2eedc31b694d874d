using Microsoft.Data.Sqlite;

namespace LlamaOrleans.Tests.Storage;

/// <summary>A fresh folder for a test's database files, deleted afterwards.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Folder = Directory.CreateTempSubdirectory("llama-orleans-tests-").FullName;
        FilePath = Path.Combine(Folder, "state", "grains.db");
    }

    public string Folder { get; }

    /// <summary>The database file, in a subfolder that does not exist yet.</summary>
    public string FilePath { get; }

    /// <summary>Runs a query on the file through a connection of its own, as a separate reader would.</summary>
    public long Count(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={FilePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public string? Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={FilePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() as string;
    }

    public void Dispose()
    {
        // Pooled connections keep the file open; release them so the folder can go.
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }
}
