namespace LlamaOrleans.Client;

/// <summary>
/// The client found no silo of its cluster within <see cref="LlamaOrleansClientOptions.ConnectTimeout"/>; the message
/// names the cluster id, the service id and the gateways tried. Thrown by the host's start.
/// </summary>
public sealed class ClusterConnectionException : Exception
{
    public ClusterConnectionException()
    {
    }

    public ClusterConnectionException(string message)
        : base(message)
    {
    }

    public ClusterConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
