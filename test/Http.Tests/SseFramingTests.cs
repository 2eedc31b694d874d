using System.Net;
using System.Text;
using System.Text.Json;

namespace LlamaOrleans.Http.Tests;

/// <summary>Server-sent events as OpenAI frames them, read with a plain HttpClient.</summary>
public sealed class SseFramingTests(ServerFixture server)
{
    [Fact]
    public async Task A_streamed_chat_is_data_events_with_role_first_then_finish_reason_usage_and_DONE()
    {
        using var client = server.Client("sse");
        var body = """{"model":"demo","messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":10,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""";
        using var response = await Api.PostJson(client, "/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var events = Api.SseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());

        var finish = chunks[^2].GetProperty("choices")[0];
        Assert.Equal("length", finish.GetProperty("finish_reason").GetString());
        Assert.All(chunks.Take(chunks.Count - 2), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));

        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(10, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        // The deltas add up to the reply of the same request unstreamed.
        var streamed = string.Concat(chunks.Take(chunks.Count - 2).Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        using var whole = await Api.PostJson(client, "/v1/chat/completions", body.Replace("\"stream\":true", "\"stream\":false", StringComparison.Ordinal));
        var reply = (await Api.Json(whole)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.Equal(reply, streamed);
    }

    [Fact]
    public async Task A_text_completion_echoes_its_prompt_and_streams_the_same_text()
    {
        using var client = server.Client("sse");
        const string Prompt = "Once upon a time";
        var body = $$"""{"model":"demo","prompt":"{{Prompt}}","max_tokens":8,"temperature":0,"echo":true}""";
        using var whole = await Api.PostJson(client, "/v1/completions", body);
        var json = await Api.Json(whole);
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        var text = json.GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.StartsWith(Prompt, text, StringComparison.Ordinal);
        Assert.True(text.Length > Prompt.Length);
        Assert.Equal(MetaChat.TextTokens(Prompt), json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(8, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        using var stream = await Api.PostJson(client, "/v1/completions", body.Replace("}", ",\"stream\":true}", StringComparison.Ordinal));
        var events = Api.SseEvents(await stream.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var streamed = new StringBuilder();
        foreach (var e in events.SkipLast(1))
        {
            streamed.Append(JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        }

        Assert.Equal(text, streamed.ToString());
    }

    [Fact]
    public async Task A_stop_sequence_ends_the_reply_before_it()
    {
        using var client = server.Client("sse");
        var free = await Api.Json(await Api.PostJson(client, "/v1/completions", """{"model":"demo","prompt":"Once upon a time","max_tokens":40,"temperature":0}"""));
        var text = free.GetProperty("choices")[0].GetProperty("text").GetString()!;
        var stop = text.Trim().Split(' ')[2];
        var cut = text[..text.IndexOf(stop, StringComparison.Ordinal)];

        var body = $$"""{"model":"demo","prompt":"Once upon a time","max_tokens":40,"temperature":0,"stop":["{{stop}}"]}""";
        var stopped = await Api.Json(await Api.PostJson(client, "/v1/completions", body));
        Assert.Equal(cut, stopped.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("stop", stopped.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        using var stream = await Api.PostJson(client, "/v1/completions", body.Replace("}", ",\"stream\":true}", StringComparison.Ordinal));
        var events = Api.SseEvents(await stream.Content.ReadAsStringAsync());
        var streamed = string.Concat(events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(cut, streamed);
    }
}
