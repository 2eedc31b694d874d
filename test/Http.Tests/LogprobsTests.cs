using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace LlamaOrleans.Http.Tests;

/// <summary>Log-probabilities of chat and text completions, whole and streamed, in OpenAI's shapes, and their bad values.</summary>
public sealed class LogprobsTests(ServerFixture server)
{
    private const string Prompt = "Once upon a time";

    private ChatClient Chat() => new(ServerFixture.Model, new ApiKeyCredential(ServerFixture.KeyOf("logprobs")),
        new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

    [Fact]
    public async Task Chat_logprobs_through_the_SDK_cover_every_token_with_sorted_alternatives_and_spell_the_reply()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };
        ChatCompletion reply = await Chat().CompleteChatAsync([new UserChatMessage("Tell me a story.")], options);

        var tokens = reply.ContentTokenLogProbabilities;
        var text = reply.Content[0].Text;
        Assert.Equal(reply.Usage.OutputTokenCount, tokens.Count);
        Assert.Equal(text, string.Concat(tokens.Select(t => t.Token)));
        Assert.Equal(Encoding.UTF8.GetBytes(text), tokens.SelectMany(t => t.Utf8Bytes!.Value.ToArray()).ToArray());
        Assert.All(tokens, t =>
        {
            Assert.InRange(t.LogProbability, float.NegativeInfinity, 0f);
            Assert.Equal(3, t.TopLogProbabilities.Count);
            Assert.True(t.TopLogProbabilities.Zip(t.TopLogProbabilities.Skip(1)).All(p => p.First.LogProbability >= p.Second.LogProbability));
            Assert.All(t.TopLogProbabilities, a => Assert.InRange(a.LogProbability, float.NegativeInfinity, 0f));
            // Greedy: every token is its position's most likely one.
            Assert.Equal(t.Token, t.TopLogProbabilities[0].Token);
            Assert.Equal(t.LogProbability, t.TopLogProbabilities[0].LogProbability);
        });

        // Streamed, each chunk carries the tokens of its text: the same tokens and logprobs as the whole reply.
        var streamedText = new StringBuilder();
        var streamed = new List<ChatTokenLogProbabilityDetails>();
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Tell me a story.")], options))
        {
            var chunkText = string.Concat(update.ContentUpdate.Select(p => p.Text));
            streamedText.Append(chunkText);
            streamed.AddRange(update.ContentTokenLogProbabilities);
            Assert.Equal(chunkText, string.Concat(update.ContentTokenLogProbabilities.Select(t => t.Token)));
        }

        Assert.Equal(text, streamedText.ToString());
        Assert.Equal(tokens.Select(t => t.Token), streamed.Select(t => t.Token));
        Assert.All(tokens.Zip(streamed), p => Assert.Equal(p.First.LogProbability, p.Second.LogProbability, 1e-3f));
    }

    [Fact]
    public async Task Chat_logprobs_without_top_logprobs_have_empty_alternatives_and_are_absent_unless_asked()
    {
        using var client = server.Client("logprobs");
        var body = """{"model":"demo","messages":[{"role":"user","content":"Hi"}],"max_tokens":6,"temperature":0.8,"seed":5,"logprobs":true}""";
        var choice = (await Api.Json(await Api.PostJson(client, "/v1/chat/completions", body))).GetProperty("choices")[0];
        var content = choice.GetProperty("logprobs").GetProperty("content");
        Assert.Equal(choice.GetProperty("message").GetProperty("content").GetString(), string.Concat(content.EnumerateArray().Select(t => t.GetProperty("token").GetString())));
        Assert.All(content.EnumerateArray(), t =>
        {
            Assert.True(t.GetProperty("logprob").GetSingle() <= 0);
            Assert.Equal(0, t.GetProperty("top_logprobs").GetArrayLength());
            Assert.Equal(JsonValueKind.Array, t.GetProperty("bytes").ValueKind);
        });

        var plain = (await Api.Json(await Api.PostJson(client, "/v1/chat/completions", Api.Chat("Hi", maxTokens: 4)))).GetProperty("choices")[0];
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("logprobs").ValueKind);
    }

    [Fact]
    public async Task Text_completion_logprobs_have_OpenAI_legacy_shape_whole_and_streamed()
    {
        using var client = server.Client("logprobs");
        var body = $$"""{"model":"demo","prompt":"{{Prompt}}","max_tokens":12,"temperature":0,"logprobs":2}""";
        var choice = (await Api.Json(await Api.PostJson(client, "/v1/completions", body))).GetProperty("choices")[0];
        var text = choice.GetProperty("text").GetString()!;
        var logprobs = choice.GetProperty("logprobs");
        var tokens = Strings(logprobs.GetProperty("tokens"));
        var values = logprobs.GetProperty("token_logprobs").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var top = logprobs.GetProperty("top_logprobs").EnumerateArray().ToArray();
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(v => v.GetInt32()).ToArray();

        Assert.Equal(12, tokens.Length);
        Assert.Equal(text, string.Concat(tokens));
        Assert.Equal(Offsets(tokens), offsets);
        Assert.All(values, v => Assert.InRange(v, float.NegativeInfinity, 0f));
        for (var i = 0; i < tokens.Length; i++)
        {
            var alternatives = top[i].EnumerateObject().Select(p => (p.Name, Value: p.Value.GetSingle())).ToArray();
            // Greedy: the token is the most likely, so its alternatives are the asked two and include it first.
            Assert.Equal(2, alternatives.Length);
            Assert.Equal((tokens[i], values[i]), alternatives[0]);
            Assert.True(alternatives[0].Value >= alternatives[1].Value);
        }

        var streamBody = body.Replace("\"logprobs\":2", "\"logprobs\":2,\"stream\":true", StringComparison.Ordinal);
        var events = Api.SseEvents(await (await Api.PostJson(client, "/v1/completions", streamBody)).Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0]).ToArray();
        var streamedTokens = chunks.SelectMany(c => Strings(c.GetProperty("logprobs").GetProperty("tokens"))).ToArray();
        Assert.Equal(tokens, streamedTokens);
        Assert.Equal(offsets, chunks.SelectMany(c => c.GetProperty("logprobs").GetProperty("text_offset").EnumerateArray().Select(v => v.GetInt32())));
        Assert.Equal(text, string.Concat(chunks.Select(c => c.GetProperty("text").GetString())));
        Assert.All(chunks, c => Assert.Equal(c.GetProperty("text").GetString(), string.Concat(Strings(c.GetProperty("logprobs").GetProperty("tokens")))));
    }

    [Fact]
    public async Task With_logprobs_0_each_position_lists_only_its_token_and_a_stop_sequence_cuts_the_tokens_with_the_text()
    {
        using var client = server.Client("logprobs");
        var whole = (await Api.Json(await Api.PostJson(client, "/v1/completions",
            $$"""{"model":"demo","prompt":"{{Prompt}}","max_tokens":20,"temperature":0,"logprobs":0}"""))).GetProperty("choices")[0];
        var text = whole.GetProperty("text").GetString()!;
        Assert.All(whole.GetProperty("logprobs").GetProperty("top_logprobs").EnumerateArray(), t => Assert.Single(t.EnumerateObject()));

        // A stop sequence that starts inside a token: the last token is cut where the text is.
        var stop = text.Substring(text.Length / 2, 3);
        var cut = (await Api.Json(await Api.PostJson(client, "/v1/completions", JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = ServerFixture.Model,
            ["prompt"] = Prompt,
            ["max_tokens"] = 20,
            ["temperature"] = 0,
            ["logprobs"] = 1,
            ["stop"] = stop,
        })))).GetProperty("choices")[0];
        var cutText = cut.GetProperty("text").GetString()!;
        var cutTokens = Strings(cut.GetProperty("logprobs").GetProperty("tokens"));
        Assert.Equal("stop", cut.GetProperty("finish_reason").GetString());
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], cutText);
        Assert.Equal(cutText, string.Concat(cutTokens));
        Assert.Equal(Offsets(cutTokens), cut.GetProperty("logprobs").GetProperty("text_offset").EnumerateArray().Select(v => v.GetInt32()));
    }

    [Theory]
    [InlineData("/v1/chat/completions", "\"logprobs\":true,\"top_logprobs\":21", "top_logprobs")]
    [InlineData("/v1/chat/completions", "\"logprobs\":true,\"top_logprobs\":-1", "top_logprobs")]
    [InlineData("/v1/chat/completions", "\"top_logprobs\":2", "top_logprobs")]
    [InlineData("/v1/chat/completions", "\"logprobs\":false,\"top_logprobs\":2", "top_logprobs")]
    [InlineData("/v1/chat/completions", "\"logprobs\":true,\"top_logprobs\":1.5", "top_logprobs")]
    [InlineData("/v1/chat/completions", "\"logprobs\":\"yes\"", "logprobs")]
    [InlineData("/v1/chat/completions", "\"logprobs\":1", "logprobs")]
    [InlineData("/v1/completions", "\"logprobs\":6", "logprobs")]
    [InlineData("/v1/completions", "\"logprobs\":-1", "logprobs")]
    [InlineData("/v1/completions", "\"logprobs\":true", "logprobs")]
    [InlineData("/v1/completions", "\"logprobs\":2.5", "logprobs")]
    [InlineData("/v1/completions", "\"logprobs\":1,\"echo\":true", "echo")]
    public async Task Bad_logprobs_values_are_400_naming_the_parameter(string path, string fields, string param)
    {
        using var client = server.Client("logprobs");
        var body = path.EndsWith("chat/completions", StringComparison.Ordinal)
            ? $$"""{"model":"demo","messages":[{"role":"user","content":"Hi"}],{{fields}}}"""
            : $$"""{"model":"demo","prompt":"Hi",{{fields}}}""";
        var error = await Api.AssertError(await Api.PostJson(client, path, body), HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Logprobs_when_continuing_a_conversation_are_refused()
    {
        using var client = server.Client("logprobs");
        var conversation = (await Api.Json(await Api.PostJson(client, "/v1/conversations", """{"model":"demo","temperature":0,"max_tokens":4}"""))).GetProperty("id").GetString()!;
        var body = """{"model":"demo","messages":[{"role":"user","content":"Hi"}],"logprobs":true}""";
        var error = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", body, ("X-Conversation-Id", conversation)), HttpStatusCode.BadRequest);
        Assert.Equal("logprobs", error.GetProperty("param").GetString());
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>Where each token's text starts, from the texts alone.</summary>
    private static int[] Offsets(IReadOnlyList<string> tokens) => [.. tokens.Select((_, i) => tokens.Take(i).Sum(t => t.Length))];
}
