namespace LlamaOrleans.Silo;

/// <summary>The "Storage" configuration section: where conversation state is kept.</summary>
public sealed class SiloStorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>One of <see cref="StorageProviders.All"/>.</summary>
    public string Provider { get; set; } = StorageProviders.Sqlite;

    /// <summary>SQLite database file; a relative path is taken from the current directory.</summary>
    public string DataSource { get; set; } = "data/conversations.db";

    /// <summary>Whether clearing a conversation deletes its row rather than leaving an empty one.</summary>
    public bool DeleteStateOnClear { get; set; }

    /// <summary>
    /// With PostgreSql storage or clustering: apply Orleans' PostgreSQL scripts when the silo starts, if the database
    /// lacks them (the setup step, for a database the silo's user may create tables in).
    /// </summary>
    public bool CreatePostgreSqlSchema { get; set; }
}
