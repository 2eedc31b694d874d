using Orleans.Storage;

namespace LlamaOrleans.Grains.Storage;

/// <summary>Options of a <see cref="SqliteGrainStorage"/> provider.</summary>
public sealed class SqliteGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>Path of the database file; a relative path is taken from the current directory. Its folder is created.</summary>
    public string DataSource { get; set; } = string.Empty;

    /// <summary>
    /// Whether clearing a grain's state deletes its row. When false (Orleans' default), the row stays with no payload and
    /// a new ETag, so a stale writer still conflicts after the clear.
    /// </summary>
    public bool DeleteStateOnClear { get; set; }

    /// <summary>How long a statement waits for another connection's (or process's) write lock before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Silo lifecycle stage at which the database file is opened and its table created.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;

    /// <summary>
    /// Serializer of grain state; left unset, Orleans' binary serializer, exact for every <c>[GenerateSerializer]</c>
    /// state type (see <see cref="SqliteGrainStorageServiceCollectionExtensions"/>).
    /// </summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = default!;
}
