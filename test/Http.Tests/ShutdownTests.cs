using System.Text;
using System.Text.Json;

namespace LlamaOrleans.Http.Tests;

/// <summary>A silo of its own (the shared one must stay up): SIGTERM while a reply streams.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task SIGTERM_ends_an_open_stream_cleanly_and_the_process_exits_0()
    {
        await using var server = new HttpSilo("shutdown", "llama-http-shutdown-");
        await server.StartAsync(new Dictionary<string, string>());
        using var client = server.Client();
        var created = await Api.Json(await Api.PostJson(client, "/v1/conversations", """{"model":"demo","temperature":0,"max_tokens":400}"""));
        var id = created.GetProperty("id").GetString()!;

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/v1/conversations/{id}/messages", UriKind.Relative))
        {
            Content = new StringContent("""{"content":"Tell me a very long story.","stream":true}""", Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync();
        Assert.StartsWith("data: ", first, StringComparison.Ordinal);

        var stopping = server.Process.StopAsync(TimeSpan.FromSeconds(60));
        var rest = await reader.ReadToEndAsync();
        Assert.Equal(0, await stopping);

        // The stream ends as a stream ends, whether the reply was cut by the shutdown or had just completed.
        var events = Api.SseEvents(first + "\n" + rest);
        Assert.Equal("[DONE]", events[^1]);
        var last = JsonDocument.Parse(events[^2]).RootElement;
        if (last.TryGetProperty("error", out var error))
        {
            Assert.Equal("server_shutting_down", error.GetProperty("code").GetString());
        }
        else
        {
            Assert.Equal("conversation.turn", last.GetProperty("object").GetString());
        }
    }
}
