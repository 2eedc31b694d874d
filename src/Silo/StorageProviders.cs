namespace LlamaOrleans.Silo;

/// <summary>The values of <see cref="SiloStorageOptions.Provider"/>.</summary>
public static class StorageProviders
{
    /// <summary>An embedded SQLite database file (see <see cref="Grains.Storage.SqliteGrainStorage"/>).</summary>
    public const string Sqlite = "Sqlite";

    public static IReadOnlyList<string> All { get; } = [Sqlite];
}
