using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace LlamaOrleans.Http.Tests;

/// <summary>
/// HTTP/1.0 requests (so answers are not chunked) written byte for byte, for request targets that HttpClient would
/// normalize first (dot segments, doubled slashes, percent-encoding).
/// </summary>
internal static class RawHttp
{
    public sealed record Answer(int Status, string Headers, string Body);

    public static async Task<Answer> SendAsync(Uri server, string method, string target, string? authorization = null, string? json = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        var body = json is null ? [] : Encoding.UTF8.GetBytes(json);
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.0\r\nHost: {server.Host}:{server.Port}\r\nConnection: close\r\n");
        if (authorization is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Authorization: {authorization}\r\n");
        }

        if (json is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
        await stream.WriteAsync(body);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();
        var split = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headers = answer[..split];
        var status = int.Parse(headers.Split(' ')[1], CultureInfo.InvariantCulture);
        return new Answer(status, headers, answer[(split + 4)..]);
    }
}
