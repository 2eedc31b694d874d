using System.Net;

namespace LlamaOrleans.Http.Tests;

/// <summary>Metrics and the OpenAPI document.</summary>
public sealed class OperationsTests(ServerFixture server)
{
    [Fact]
    public async Task Metrics_have_ours_the_engine_Orleans_and_ASP_NET_Core_on_their_own_listener_only()
    {
        using var client = server.Client("sse");
        await Api.PostJson(client, "/v1/chat/completions", Api.Chat("Tell me a story", maxTokens: 8, stream: true));
        using var anonymous = server.Client(null);
        // Http:Metrics:Urls is set: the API's port does not serve the tenant-labelled series.
        await Api.AssertError(await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative)), HttpStatusCode.NotFound);
        using var scraper = new HttpClient { BaseAddress = server.MetricsAddress };
        using var response = await scraper.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metrics = await response.Content.ReadAsStringAsync();
        foreach (var name in new[]
        {
            "llama_http_time_to_first_token_seconds_bucket", "llama_http_tokens_per_second_bucket", "llama_http_tokens_total",
            "llama_serving_decode_tokens_total", "llama_serving_kv_blocks_used", "orleans_", "http_server_request_duration_seconds_bucket",
        })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_served_OpenAPI_document_is_the_one_checked_into_docs()
    {
        using var anonymous = server.Client(null);
        var served = await anonymous.GetStringAsync(new Uri("/openapi.json", UriKind.Relative));
        var path = Repository.Path("docs", "openapi.json");
        var checkedIn = await File.ReadAllTextAsync(path);
        Assert.True(Normalize(served) == Normalize(checkedIn),
            $"docs/openapi.json differs from what the server serves; refresh it with: curl -s http://127.0.0.1:8080/openapi.json > docs/openapi.json");
    }

    private static string Normalize(string json) => json.ReplaceLineEndings("\n").TrimEnd();
}
