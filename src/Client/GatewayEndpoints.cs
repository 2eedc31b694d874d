using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LlamaOrleans.Client;

/// <summary>Turns "host:port" gateway addresses into the IP endpoints an Orleans client connects to.</summary>
public static class GatewayEndpoints
{
    /// <summary>Splits "host:port" (IPv6 hosts in brackets, "[::1]:30000"); throws <see cref="FormatException"/> when it is not one.</summary>
    public static (string Host, int Port) Parse(string gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var colon = gateway.LastIndexOf(':');
        var host = colon > 0 ? gateway[..colon] : string.Empty;
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace)
            || !int.TryParse(gateway.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            throw new FormatException($"'{gateway}' is not a gateway address: expected HOST:PORT, e.g. {LlamaOrleansClientOptions.DefaultGateway}");
        }

        return (host, port);
    }

    /// <summary>
    /// Resolves each gateway (DNS for names; "localhost" is the IPv4 loopback, where local silos listen);
    /// throws <see cref="FormatException"/> for a malformed address and <see cref="SocketException"/> for an unknown name.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> Resolve(IEnumerable<string> gateways)
    {
        ArgumentNullException.ThrowIfNull(gateways);
        var endpoints = new List<IPEndPoint>();
        foreach (var gateway in gateways)
        {
            var (host, port) = Parse(gateway);
            if (IPAddress.TryParse(host, out var address))
            {
                endpoints.Add(new IPEndPoint(address, port));
            }
            else if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                endpoints.Add(new IPEndPoint(IPAddress.Loopback, port));
            }
            else
            {
                // Orleans takes gateways as IP endpoints only; prefer IPv4 as silos usually advertise it.
                var addresses = Dns.GetHostAddresses(host);
                var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                    ?? throw new SocketException((int)SocketError.HostNotFound);
                endpoints.Add(new IPEndPoint(chosen, port));
            }
        }

        return endpoints;
    }
}
