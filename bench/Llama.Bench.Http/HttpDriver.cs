using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Llama.Bench.Http;

/// <summary>Turns through the HTTP API: <c>POST /v1/conversations/{id}/messages</c> with <c>stream: true</c>, read as server-sent events.</summary>
internal sealed class HttpDriver(Uri address) : ITurnDriver, IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 })
    {
        BaseAddress = address,
        Timeout = TimeSpan.FromMinutes(10),
    };

    public string Name => "http";

    public async Task<string> CreateAsync(int maxTokens, CancellationToken cancellationToken)
    {
        using var response = await _client.PostAsJsonAsync("/v1/conversations", new { model = BenchServer.ModelName, temperature = 0, max_tokens = maxTokens }, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    public async Task<int> StreamTurnAsync(string conversation, string content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/v1/conversations/{conversation}/messages", UriKind.Relative))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { content, stream = true }), Encoding.UTF8, "application/json"),
        };
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var tokens = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }

            using var json = JsonDocument.Parse(line.AsMemory(6));
            if (json.RootElement.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"The stream ended with an error: {error}");
            }

            if (json.RootElement.TryGetProperty("usage", out var usage))
            {
                tokens = usage.GetProperty("completion_tokens").GetInt32();
            }
        }

        return tokens;
    }

    public void Dispose() => _client.Dispose();
}
