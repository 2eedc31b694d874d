using System.Net;
using System.Net.Sockets;

namespace Llama.Bench.Tests.Cluster;

internal static class LoopbackPort
{
    /// <summary>A loopback port the system just handed out and nothing listens on, as a killed silo's port.</summary>
    public static int Unused()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
