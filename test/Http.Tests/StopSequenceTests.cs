using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlamaOrleans.Http.Tests;

/// <summary>A stop sequence ends generation, not only the text: usage counts the tokens up to it, whole and streamed.</summary>
public sealed class StopSequenceTests(ServerFixture server)
{
    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/completions")]
    public async Task Usage_counts_the_tokens_up_to_the_stop_sequence_far_below_max_tokens(string path)
    {
        using var client = server.Client("sse");
        var chat = path.Contains("chat", StringComparison.Ordinal);
        JsonObject Body() => chat
            ? new JsonObject { ["model"] = ServerFixture.Model, ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Tell me a story" }), ["max_tokens"] = 60, ["temperature"] = 0 }
            : new JsonObject { ["model"] = ServerFixture.Model, ["prompt"] = "Once upon a time", ["max_tokens"] = 60, ["temperature"] = 0 };
        string Text(JsonElement choice) => (chat ? choice.GetProperty("message").GetProperty("content") : choice.GetProperty("text")).GetString()!;

        // The reference: the free reply token by token, from its log-probabilities.
        var freeBody = Body();
        freeBody["logprobs"] = chat ? true : 0;
        var free = (await Api.Json(await Api.PostJson(client, path, freeBody.ToJsonString()))).GetProperty("choices")[0];
        var tokens = (chat ? free.GetProperty("logprobs").GetProperty("content").EnumerateArray().Select(t => t.GetProperty("token"))
            : free.GetProperty("logprobs").GetProperty("tokens").EnumerateArray()).Select(t => t.GetString()!).ToArray();
        var text = Text(free);
        Assert.Equal(60, tokens.Length);
        var stop = text.Trim().Split(' ')[2];
        var expected = Enumerable.Range(1, tokens.Length).First(n => string.Concat(tokens.Take(n)).Contains(stop, StringComparison.Ordinal));
        Assert.InRange(expected, 1, 30);

        var body = Body();
        body["stop"] = new JsonArray(stop);
        var stopped = await Api.Json(await Api.PostJson(client, path, body.ToJsonString()));
        var choice = stopped.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], Text(choice));
        Assert.Equal(expected, stopped.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        body["stream"] = true;
        body["stream_options"] = new JsonObject { ["include_usage"] = true };
        var events = Api.SseEvents(await (await Api.PostJson(client, path, body.ToJsonString())).Content.ReadAsStringAsync());
        var usage = events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement)
            .Where(c => c.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object).Select(c => c.GetProperty("usage")).Single();
        Assert.Equal(expected, usage.GetProperty("completion_tokens").GetInt32());
    }
}
