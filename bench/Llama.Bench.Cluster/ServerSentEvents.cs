using System.Runtime.CompilerServices;
using System.Text;

namespace Llama.Bench.Cluster;

/// <summary>
/// Reads the <c>data:</c> payloads of a server-sent event stream, one per event (several <c>data:</c> lines of one event
/// joined by newlines, as the SSE standard says); comments and other fields are skipped. Ends with the stream.
/// </summary>
internal static class ServerSentEvents
{
    public static async IAsyncEnumerable<string> ReadDataAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var data = new StringBuilder();
        var any = false;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (any)
                {
                    yield return data.ToString();
                }

                data.Clear();
                any = false;
                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                var value = line.AsSpan(5);
                if (value.StartsWith(" "))
                {
                    value = value[1..];
                }

                if (any)
                {
                    data.Append('\n');
                }

                data.Append(value);
                any = true;
            }
        }
    }
}
