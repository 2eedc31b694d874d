namespace LlamaOrleans.Grains.Storage;

/// <summary>Checks a <see cref="SqliteGrainStorage"/> provider's options when the silo starts.</summary>
internal sealed class SqliteGrainStorageOptionsValidator(SqliteGrainStorageOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        if (string.IsNullOrWhiteSpace(options.DataSource))
        {
            throw new OrleansConfigurationException(
                $"Grain storage '{name}': {nameof(SqliteGrainStorageOptions.DataSource)} (the SQLite database file path) is not set.");
        }

        if (options.BusyTimeout <= TimeSpan.Zero)
        {
            throw new OrleansConfigurationException(
                $"Grain storage '{name}': {nameof(SqliteGrainStorageOptions.BusyTimeout)} must be positive, not {options.BusyTimeout}.");
        }
    }
}
