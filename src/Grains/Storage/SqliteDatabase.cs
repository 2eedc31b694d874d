using Microsoft.Data.Sqlite;

namespace LlamaOrleans.Grains.Storage;

/// <summary>
/// The SQLite file behind <see cref="SqliteGrainStorage"/>: created for this user alone, in WAL mode with the
/// GrainState table, and opened by connections that wait on a busy file rather than fail.
/// </summary>
internal sealed class SqliteDatabase
{
    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS GrainState (
            ServiceId  TEXT NOT NULL,
            StateName  TEXT NOT NULL,
            GrainId    TEXT NOT NULL,
            Payload    BLOB NULL,
            ETag       TEXT NOT NULL,
            UpdatedUtc TEXT NOT NULL,
            PRIMARY KEY (ServiceId, StateName, GrainId)
        ) WITHOUT ROWID;
        """;

    private readonly string _connectionString;
    private readonly TimeSpan _busyTimeout;

    public SqliteDatabase(string filePath, TimeSpan busyTimeout)
    {
        FilePath = filePath;
        _busyTimeout = busyTimeout;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = filePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        }.ToString();
    }

    /// <summary>Full path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>Creates the file's folder, the file and its table where they do not exist, and puts the file in WAL mode.</summary>
    /// <param name="storageName">The storage provider's name, for the message of a file that refuses WAL mode.</param>
    /// <exception cref="SqliteGrainStorageException">The file cannot use WAL journal mode.</exception>
    public void Create(string storageName)
    {
        CreatePrivately(FilePath);
        using var connection = Open();
        using (var wal = connection.CreateCommand())
        {
            // Persistent in the file: readers then never block the writer, across connections and processes.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            var mode = wal.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new SqliteGrainStorageException(
                    $"Grain storage '{storageName}': the database '{FilePath}' cannot use WAL journal mode (it reports '{mode}').");
            }
        }

        using var create = connection.CreateCommand();
        create.CommandText = CreateTableSql;
        create.ExecuteNonQuery();
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            SetBusyTimeout(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            SetBusyTimeout(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Creates the database's folder (0700) and an empty database file (0600) where they do not exist: conversations
    /// are the tenants' text, for this user alone. SQLite gives its WAL and shared-memory files the database file's mode.
    /// Existing folders and files keep the permissions they have.
    /// </summary>
    private static void CreatePrivately(string path)
    {
        var folder = Path.GetDirectoryName(path);
        if (OperatingSystem.IsWindows())
        {
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            return;
        }

        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        if (!File.Exists(path))
        {
            try
            {
                // An empty file is an empty database; SQLite writes its header on first use.
                using var created = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another silo of this machine created it first.
            }
        }
    }

    /// <summary>SQLite's own wait on a locked file, per connection; it also covers the WAL checkpoints' locks.</summary>
    private void SetBusyTimeout(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout = {(long)_busyTimeout.TotalMilliseconds};";
        command.ExecuteNonQuery();
    }
}
