using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlamaOrleans.Http.Tests;

/// <summary>A silo of its own (the shared one must stay up): SIGTERM while a reply streams.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task SIGTERM_ends_an_open_stream_cleanly_and_the_process_exits_0()
    {
        var ports = FreePorts.Take(3);
        var directory = Directory.CreateTempSubdirectory("llama-http-shutdown-");
        try
        {
            await using var silo = await SiloProcess.StartAsync("shutdown", directory.FullName, new Dictionary<string, string>
            {
                ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
                ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
                ["Http:Urls"] = $"http://127.0.0.1:{ports[2]}",
            }, ports[1]);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports[2]}/"), Timeout = TimeSpan.FromSeconds(60) };
            await silo.WaitUntilHttpReadyAsync(client.BaseAddress, TimeSpan.FromMinutes(1));
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

            var stopping = silo.StopAsync(TimeSpan.FromSeconds(60));
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
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
