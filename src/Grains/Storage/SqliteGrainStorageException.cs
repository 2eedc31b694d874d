namespace LlamaOrleans.Grains.Storage;

/// <summary>A <see cref="SqliteGrainStorage"/> operation failed for a reason other than an ETag conflict.</summary>
[GenerateSerializer]
public sealed class SqliteGrainStorageException : OrleansException
{
    public SqliteGrainStorageException()
    {
    }

    public SqliteGrainStorageException(string message)
        : base(message)
    {
    }

    public SqliteGrainStorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
