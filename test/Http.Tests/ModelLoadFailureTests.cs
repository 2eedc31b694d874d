using System.Buffers.Binary;
using System.Net;

namespace LlamaOrleans.Http.Tests;

/// <summary>A silo of its own whose model cannot load: it says so once, and answers every request with 503 model_unavailable.</summary>
public sealed class ModelLoadFailureTests
{
    private const string Reason = "truncated llama2.c checkpoint";

    [Fact]
    public async Task A_model_that_fails_to_load_answers_503_model_unavailable_and_is_logged_once()
    {
        await using var server = new HttpSilo("badmodel", "llama-http-badmodel-");
        // A llama2.c header whose sizes the 28-byte file cannot hold.
        var bad = Path.Combine(server.Folder, "bad.bin");
        var header = new byte[28];
        int[] numbers = [64, 172, 5, 8, 4, 512, 512];
        for (var i = 0; i < numbers.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(i * 4), numbers[i]);
        }

        await File.WriteAllBytesAsync(bad, header, TestContext.Current.CancellationToken);
        // Never ready: its one model does not load.
        await server.StartAsync(new Dictionary<string, string> { ["Llama:Models:0:Path"] = bad }, waitUntilReady: false, TestContext.Current.CancellationToken);
        var silo = server.Process;
        using var client = server.Client();
        await silo.WaitForOutputAsync(Reason, TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        // The warm-up may fail before the web server listens (it starts after the silo); readiness cannot say when.
        await silo.WaitForOutputAsync($"Now listening on: http://127.0.0.1:{server.BaseAddress.Port}", TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);

        for (var i = 0; i < 5; i++)
        {
            using var chat = await Api.PostJson(client, "/v1/chat/completions", Api.Chat("hi"));
            var error = await Api.AssertError(chat, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("model_unavailable", error.GetProperty("code").GetString());
            Assert.Contains(Reason, error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.NotNull(chat.Headers.RetryAfter);
        }

        var created = await Api.Json(await Api.PostJson(client, "/v1/conversations", """{"model":"demo"}"""));
        using var turn = await Api.PostJson(client, $"/v1/conversations/{created.GetProperty("id").GetString()}/messages", """{"content":"hi"}""");
        Assert.Equal("model_unavailable", (await Api.AssertError(turn, HttpStatusCode.ServiceUnavailable)).GetProperty("code").GetString());

        using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var state = (await Api.Json(ready)).GetProperty("models").GetProperty("demo").GetString();
        Assert.StartsWith("failed: ", state, StringComparison.Ordinal);
        Assert.Contains(Reason, state, StringComparison.Ordinal);

        // The warm-up retries every few seconds: give it two more tries, which must not log again.
        await Task.Delay(TimeSpan.FromSeconds(11), TestContext.Current.CancellationToken);
        var lines = silo.Output.Split('\n');
        var failure = Assert.Single(lines, l => l.StartsWith("fail:", StringComparison.Ordinal));
        Assert.Contains("Model demo failed to load", failure, StringComparison.Ordinal);
        Assert.Single(lines, l => l.Contains("Loading model demo failed", StringComparison.Ordinal));
        Assert.DoesNotContain("Exception", silo.Output, StringComparison.Ordinal);
    }
}
