namespace Llama.Model;

/// <summary>
/// The KV memory of a model is gone or cannot be trusted (a rank or stage of a distributed model was lost or
/// restarted): the forward did not run, and every cached sequence must be recomputed.
/// </summary>
public sealed class KvCacheLostException : Exception
{
    public KvCacheLostException()
    {
    }

    public KvCacheLostException(string message)
        : base(message)
    {
    }

    public KvCacheLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
