using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace LlamaOrleans.Grains.Storage;

/// <summary>
/// Grain storage in one SQLite database file: a row per (service, state name, grain) holding the serialized state,
/// its ETag and the time of the last change. The file is in WAL mode and every connection waits on a busy timeout,
/// so silos in one process or in several processes can share it.
/// </summary>
/// <remarks>
/// ETags are fresh GUIDs on every write or clear rather than a counter, so a row deleted and written again never
/// reuses an ETag a stale activation may still hold.
/// </remarks>
public sealed partial class SqliteGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private const string KeyMatch = "ServiceId = $service AND StateName = $state AND GrainId = $grain";
    private const string Now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    private const string SelectSql = $"SELECT Payload, ETag FROM GrainState WHERE {KeyMatch};";
    private const string SelectETagSql = $"SELECT ETag FROM GrainState WHERE {KeyMatch};";

    private const string InsertSql = $"""
        INSERT INTO GrainState (ServiceId, StateName, GrainId, Payload, ETag, UpdatedUtc)
        VALUES ($service, $state, $grain, $payload, $newETag, {Now})
        ON CONFLICT DO NOTHING;
        """;

    private const string UpdateSql = $"""
        UPDATE GrainState SET Payload = $payload, ETag = $newETag, UpdatedUtc = {Now}
        WHERE {KeyMatch} AND ETag = $etag;
        """;

    private const string DeleteSql = $"DELETE FROM GrainState WHERE {KeyMatch} AND ETag = $etag;";

    private readonly string _name;
    private readonly string _serviceId;
    private readonly SqliteGrainStorageOptions _options;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly ILogger<SqliteGrainStorage> _logger;
    private readonly SqliteDatabase _database;
    private readonly SemaphoreSlim _initializationLock = new(1, 1);
    private volatile bool _initialized;

    /// <param name="name">The provider's name, used in messages.</param>
    /// <param name="serviceId">Orleans service id; state is kept per service, so services can share a file.</param>
    /// <param name="options">Options; <see cref="SqliteGrainStorageOptions.GrainStorageSerializer"/> must be set.</param>
    /// <param name="activators">Creates the empty state of a grain that has none stored.</param>
    /// <param name="logger">Logger.</param>
    public SqliteGrainStorage(
        string name,
        string serviceId,
        SqliteGrainStorageOptions options,
        IActivatorProvider activators,
        ILogger<SqliteGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(serviceId);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(activators);
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrWhiteSpace(options.DataSource))
        {
            throw new ArgumentException($"Grain storage '{name}': {nameof(options.DataSource)} (the database file path) is empty.", nameof(options));
        }

        _name = name;
        _serviceId = serviceId;
        _options = options;
        _serializer = options.GrainStorageSerializer
            ?? throw new ArgumentException($"Grain storage '{name}': no grain storage serializer is set.", nameof(options));
        _activators = activators;
        _logger = logger;
        _database = new SqliteDatabase(Path.GetFullPath(options.DataSource), options.BusyTimeout);
    }

    /// <summary>Full path of the database file.</summary>
    public string FilePath => _database.FilePath;

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe($"{nameof(SqliteGrainStorage)}-{_name}", _options.InitStage, InitializeAsync);
    }

    /// <summary>
    /// Creates the file's folder, the file and its table, once; a silo does this at start-up and the first operation
    /// otherwise does. A failed attempt is tried again by the next call.
    /// </summary>
    /// <exception cref="SqliteGrainStorageException">The file cannot be created or opened as a database.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }

        await _initializationLock.WaitAsync(cancellationToken);
        try
        {
            if (!_initialized)
            {
                Initialize();
                _initialized = true;
            }
        }
        finally
        {
            _initializationLock.Release();
        }
    }

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        await InitializeAsync(cancellationToken);
        try
        {
            await using var connection = await _database.OpenAsync(cancellationToken);
            await using var command = Command(connection, SelectSql, stateName, grainId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                SetEmpty(grainState, eTag: null);
                return;
            }

            var eTag = reader.GetString(1);
            if (await reader.IsDBNullAsync(0, cancellationToken))
            {
                SetEmpty(grainState, eTag);
                return;
            }

            var payload = (byte[])reader.GetValue(0);
            grainState.State = _serializer.Deserialize<T>(new BinaryData(payload)) ?? CreateEmpty<T>();
            grainState.ETag = eTag;
            grainState.RecordExists = true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not SqliteGrainStorageException)
        {
            throw Failure("read", stateName, grainId, ex);
        }
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        await InitializeAsync(cancellationToken);
        var newETag = NewETag();
        try
        {
            var payload = _serializer.Serialize(grainState.State).ToArray();
            await using var connection = await _database.OpenAsync(cancellationToken);
            await using var command = Command(connection, grainState.ETag is null ? InsertSql : UpdateSql, stateName, grainId);
            command.Parameters.AddWithValue("$payload", payload);
            command.Parameters.AddWithValue("$newETag", newETag);
            command.Parameters.AddWithValue("$etag", (object?)grainState.ETag ?? DBNull.Value);
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                throw await ConflictAsync(connection, "write", stateName, grainId, grainState.ETag, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not InconsistentStateException)
        {
            throw Failure("write", stateName, grainId, ex);
        }

        grainState.ETag = newETag;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        await InitializeAsync(cancellationToken);
        string? newETag;
        try
        {
            await using var connection = await _database.OpenAsync(cancellationToken);
            newETag = _options.DeleteStateOnClear
                ? await DeleteAsync(connection, stateName, grainId, grainState.ETag, cancellationToken)
                : await EmptyAsync(connection, stateName, grainId, grainState.ETag, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not InconsistentStateException)
        {
            throw Failure("clear", stateName, grainId, ex);
        }

        SetEmpty(grainState, newETag);
    }

    /// <summary>Deletes the row; with no ETag there must be no row. The state then has no ETag.</summary>
    private async Task<string?> DeleteAsync(SqliteConnection connection, string stateName, GrainId grainId, string? eTag, CancellationToken cancellationToken)
    {
        if (eTag is null)
        {
            await using var probe = Command(connection, SelectETagSql, stateName, grainId);
            if (await probe.ExecuteScalarAsync(cancellationToken) is string stored)
            {
                throw Conflict("clear", stateName, grainId, stored, eTag);
            }

            return null;
        }

        await using var command = Command(connection, DeleteSql, stateName, grainId);
        command.Parameters.AddWithValue("$etag", eTag);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw await ConflictAsync(connection, "clear", stateName, grainId, eTag, cancellationToken);
        }

        return null;
    }

    /// <summary>Keeps the row with no payload and a new ETag (inserting it when there was none).</summary>
    private async Task<string> EmptyAsync(SqliteConnection connection, string stateName, GrainId grainId, string? eTag, CancellationToken cancellationToken)
    {
        var newETag = NewETag();
        await using var command = Command(connection, eTag is null ? InsertSql : UpdateSql, stateName, grainId);
        command.Parameters.AddWithValue("$payload", DBNull.Value);
        command.Parameters.AddWithValue("$newETag", newETag);
        command.Parameters.AddWithValue("$etag", (object?)eTag ?? DBNull.Value);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw await ConflictAsync(connection, "clear", stateName, grainId, eTag, cancellationToken);
        }

        return newETag;
    }

    private void Initialize()
    {
        try
        {
            _database.Create(_name);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            LogInitializationFailed(ex, _name, FilePath);
            throw new SqliteGrainStorageException(
                $"Grain storage '{_name}': cannot create or open the SQLite database '{FilePath}': {ex.Message}", ex);
        }

        LogInitialized(_name, FilePath, _serviceId);
    }

    private SqliteCommand Command(SqliteConnection connection, string sql, string stateName, GrainId grainId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$service", _serviceId);
        command.Parameters.AddWithValue("$state", stateName);
        command.Parameters.AddWithValue("$grain", grainId.ToString());
        return command;
    }

    private async Task<InconsistentStateException> ConflictAsync(
        SqliteConnection connection, string operation, string stateName, GrainId grainId, string? eTag, CancellationToken cancellationToken)
    {
        await using var probe = Command(connection, SelectETagSql, stateName, grainId);
        var stored = await probe.ExecuteScalarAsync(cancellationToken) as string;
        return Conflict(operation, stateName, grainId, stored, eTag);
    }

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? stored, string? eTag) =>
        new(
            $"Grain storage '{_name}': ETag conflict on {operation} of state '{stateName}' of grain {grainId} "
            + $"(service '{_serviceId}'): expected {eTag ?? "no row"}, stored {stored ?? "no row"}.",
            stored,
            eTag);

    private SqliteGrainStorageException Failure(string operation, string stateName, GrainId grainId, Exception ex)
    {
        LogOperationFailed(ex, _name, operation, stateName, grainId);
        return new SqliteGrainStorageException(
            $"Grain storage '{_name}': {operation} of state '{stateName}' of grain {grainId} in '{FilePath}' failed: {ex.Message}", ex);
    }

    private void SetEmpty<T>(IGrainState<T> grainState, string? eTag)
    {
        grainState.State = CreateEmpty<T>();
        grainState.ETag = eTag;
        grainState.RecordExists = false;
    }

    private T CreateEmpty<T>() => _activators.GetActivator<T>().Create();

    private static string NewETag() => Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Information, Message = "Grain storage {Name}: database {Path} ready for service {ServiceId}")]
    private partial void LogInitialized(string name, string path, string serviceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Grain storage {Name}: cannot create or open {Path}")]
    private partial void LogInitializationFailed(Exception exception, string name, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Grain storage {Name}: {Operation} of state {StateName} of grain {GrainId} failed")]
    private partial void LogOperationFailed(Exception exception, string name, string operation, string stateName, GrainId grainId);
}
