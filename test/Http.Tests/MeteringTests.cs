using System.Net;
using System.Text;
using Llama.Chat;

namespace LlamaOrleans.Http.Tests;

/// <summary>Quotas hold under concurrent requests, and what was generated is billed whether or not the client stayed.</summary>
public sealed class MeteringTests(ServerFixture server)
{
    private const string Question = "Tell me a story";
    private const int MaxTokens = 30;

    [Fact]
    public async Task Concurrent_requests_overshoot_a_small_quota_by_at_most_one_request()
    {
        using var client = server.Client("race");
        var body = Api.Chat(Question, maxTokens: MaxTokens);
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var response = await Api.PostJson(client, "/v1/chat/completions", body);
            return (response.StatusCode, Body: await Api.Json(response));
        }));

        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a =>
        {
            Assert.Equal((HttpStatusCode)429, a.StatusCode);
            Assert.Equal("insufficient_quota", a.Body.GetProperty("error").GetProperty("type").GetString());
        });

        // Each request may spend its prompt and MaxTokens; admitted only while used and reserved tokens are below the quota.
        var oneRequest = MetaChat.PromptTokens(new Message(Role.User, Question)) + MaxTokens;
        var spent = answers.Where(a => a.StatusCode == HttpStatusCode.OK).Sum(a => a.Body.GetProperty("usage").GetProperty("total_tokens").GetInt64());
        Assert.InRange(spent, 1, ServerFixture.RaceDailyTokens + oneRequest);

        var usage = await Api.Json(await client.GetAsync(new Uri("/v1/usage", UriKind.Relative)));
        var row = Assert.Single(usage.GetProperty("data").EnumerateArray());
        Assert.Equal(spent, row.GetProperty("total_tokens").GetInt64());
    }

    [Fact]
    public async Task A_stream_the_client_aborts_is_billed_for_the_tokens_generated()
    {
        using var client = server.Client("aborts");
        await AbortAndCheckUsage(client, "/v1/chat/completions", Api.Chat(Question, maxTokens: 400, stream: true),
            line => line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"role\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_conversation_turn_the_client_aborts_is_billed_for_its_prompt_and_the_tokens_generated()
    {
        using var client = server.Client("conversation-aborts");
        using var created = await Api.PostJson(client, "/v1/conversations", """{"model":"demo","temperature":0,"max_tokens":400}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await Api.Json(created)).GetProperty("id").GetString();
        await AbortAndCheckUsage(client, $"/v1/conversations/{id}/messages", $$"""{"content":"{{Question}}","stream":true}""",
            line => line.Contains("\"conversation.turn.delta\"", StringComparison.Ordinal));
    }

    /// <summary>
    /// Streams a request, leaves after two content events (each at least one token), and waits for the usage row:
    /// one request, the whole prompt, and at least the tokens received. Pieces are paced, so on a fast host a short
    /// reply may come in fewer: the client still leaves before reading the end.
    /// </summary>
    private static async Task AbortAndCheckUsage(HttpClient client, string path, string body, Func<string, bool> isContent)
    {
        var received = 0;
        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        })
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (received < 2 && await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal) && isContent(line))
                {
                    received++;
                }
            }
        }

        Assert.InRange(received, 1, 2);
        var prompt = MetaChat.PromptTokens(new Message(Role.User, Question));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var usage = await Api.Json(await client.GetAsync(new Uri("/v1/usage", UriKind.Relative)));
            if (usage.GetProperty("data").EnumerateArray().SingleOrDefault() is { ValueKind: System.Text.Json.JsonValueKind.Object } row)
            {
                Assert.Equal(1, row.GetProperty("requests").GetInt64());
                Assert.Equal(prompt, row.GetProperty("prompt_tokens").GetInt64());
                Assert.InRange(row.GetProperty("completion_tokens").GetInt64(), received, 399);
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "The aborted stream was not metered within 30 s.");
            await Task.Delay(200);
        }
    }
}
