using System.Net;
using System.Net.Sockets;

namespace LlamaOrleans.Testing;

/// <summary>Loopback ports for servers and silos the tests and benches start side by side.</summary>
public static class FreePorts
{
    /// <summary>Ports the system just handed out on the loopback interface, so a test silo does not meet another.</summary>
    public static int[] Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>A loopback port the system just handed out and nothing listens on, as a killed server's port.</summary>
    public static int Unused() => Take(1)[0];

    public static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }
}
