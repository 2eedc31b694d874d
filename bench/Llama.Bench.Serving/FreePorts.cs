using System.Net;
using System.Net.Sockets;

namespace Llama.Bench.Serving;

/// <summary>Loopback ports free right now, so the bench's silo never collides with another silo on the machine.</summary>
internal static class FreePorts
{
    public static int[] Take(int count)
    {
        // Hold every listener until all are chosen, so the ports differ.
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
}
