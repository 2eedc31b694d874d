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
        var received = 0;
        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/chat/completions", UriKind.Relative))
        {
            Content = new StringContent(Api.Chat(Question, maxTokens: 400, stream: true), Encoding.UTF8, "application/json"),
        })
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            // The role chunk, then two content chunks (each at least one token); then the client goes. Pieces are paced, so
            // on a fast host a short reply may come in fewer: the client still leaves before reading the end.
            while (received < 2 && await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"role\"", StringComparison.Ordinal))
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
