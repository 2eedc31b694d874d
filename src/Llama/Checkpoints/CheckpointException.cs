namespace Llama.Checkpoints;

/// <summary>A checkpoint that cannot be read: missing, truncated, corrupt or inconsistent.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message)
        : base(message)
    {
    }

    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
