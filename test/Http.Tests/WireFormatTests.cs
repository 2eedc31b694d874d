using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace LlamaOrleans.Http.Tests;

/// <summary>The details strict OpenAI clients rely on: the role chunk, <c>usage</c> on every chunk, fingerprints, model times.</summary>
public sealed class WireFormatTests(ServerFixture server)
{
    [Fact]
    public async Task A_streamed_chat_opens_with_a_role_only_chunk_and_carries_usage_null_until_a_usage_chunk_without_choices()
    {
        using var client = server.Client("sse");
        var body = """{"model":"demo","messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":6,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""";
        var events = Api.SseEvents(await (await Api.PostJson(client, "/v1/chat/completions", body)).Content.ReadAsStringAsync());
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement).ToList();

        var delta = chunks[0].GetProperty("choices")[0].GetProperty("delta");
        Assert.Equal(["role", "content"], delta.EnumerateObject().Select(p => p.Name));
        Assert.Equal("assistant", delta.GetProperty("role").GetString());
        Assert.Equal(string.Empty, delta.GetProperty("content").GetString());
        Assert.All(chunks.Skip(1), c => Assert.All(c.GetProperty("choices").EnumerateArray(), choice => Assert.False(choice.GetProperty("delta").TryGetProperty("role", out _))));

        Assert.All(chunks.SkipLast(1), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(6, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.All(chunks, c => Assert.StartsWith("fp_demo_", c.GetProperty("system_fingerprint").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_streamed_text_completion_puts_usage_in_a_chunk_of_its_own_without_choices()
    {
        using var client = server.Client("sse");
        var body = """{"model":"demo","prompt":"Once upon a time","max_tokens":5,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""";
        var events = Api.SseEvents(await (await Api.PostJson(client, "/v1/completions", body)).Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks.SkipLast(1), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(5, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(MetaChat.TextTokens("Once upon a time"), chunks[^1].GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.All(chunks, c => Assert.StartsWith("fp_demo_", c.GetProperty("system_fingerprint").GetString(), StringComparison.Ordinal));

        var whole = await Api.Json(await Api.PostJson(client, "/v1/completions", body.Replace("\"stream\":true", "\"stream\":false", StringComparison.Ordinal)));
        Assert.Equal(chunks[0].GetProperty("system_fingerprint").GetString(), whole.GetProperty("system_fingerprint").GetString());
    }

    [Fact]
    public async Task The_OpenAI_SDK_reads_the_fingerprint_the_stream_usage_and_when_the_model_was_loaded()
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        var credential = new ApiKeyCredential(ServerFixture.KeyOf("sdk"));
        var chat = new ChatClient(ServerFixture.Model, credential, options);
        var settings = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 4 };
        ChatCompletion whole = await chat.CompleteChatAsync([new UserChatMessage("Hi")], settings);
        Assert.StartsWith("fp_demo_", whole.SystemFingerprint, StringComparison.Ordinal);

        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Hi")], settings))
        {
            updates.Add(update);
        }

        Assert.Equal(ChatMessageRole.Assistant, updates[0].Role);
        Assert.DoesNotContain(updates[0].ContentUpdate, p => p.Text.Length > 0);
        Assert.Equal(whole.Content[0].Text, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.Equal(4, updates[^1].Usage.OutputTokenCount);
        Assert.Equal(whole.SystemFingerprint, updates[^1].SystemFingerprint);

        // The model was loaded after this process started, minutes ago at most: not a fixed date.
        OpenAIModel model = await new OpenAIModelClient(credential, options).GetModelAsync(ServerFixture.Model);
        Assert.InRange(model.CreatedAt, server.StartedAt.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }
}
