namespace LlamaOrleans.Silo;

/// <summary>The values of <see cref="SiloStorageOptions.Provider"/>.</summary>
public static class StorageProviders
{
    /// <summary>An embedded SQLite database file (see <see cref="Grains.Storage.SqliteGrainStorage"/>).</summary>
    public const string Sqlite = "Sqlite";

    /// <summary>A Redis server, at <c>ConnectionStrings:Redis</c>.</summary>
    public const string Redis = "Redis";

    /// <summary>A PostgreSQL database (Orleans' ADO.NET provider), at <c>ConnectionStrings:PostgreSql</c>.</summary>
    public const string PostgreSql = "PostgreSql";

    public static IReadOnlyList<string> All { get; } = [Sqlite, Redis, PostgreSql];
}
