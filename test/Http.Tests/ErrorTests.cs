using System.Net;
using System.Text;
using Llama.Chat;

namespace LlamaOrleans.Http.Tests;

/// <summary>Refusals, each with its status code and OpenAI's error shape.</summary>
public sealed class ErrorTests(ServerFixture server)
{
    [Fact]
    public async Task Requests_without_a_key_or_with_a_wrong_key_get_401()
    {
        using var anonymous = server.Client(null);
        var missing = await Api.AssertError(await anonymous.GetAsync(new Uri("/v1/models", UriKind.Relative)), HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_api_key", missing.GetProperty("code").GetString());

        using var wrong = server.Client(null);
        wrong.DefaultRequestHeaders.Authorization = new("Bearer", "sk-alice-0123456788");
        using var response = await wrong.GetAsync(new Uri("/v1/models", UriKind.Relative));
        await Api.AssertError(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);

        using var basic = server.Client(null);
        basic.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + ServerFixture.KeyOf("alice"))));
        await Api.AssertError(await basic.GetAsync(new Uri("/v1/models", UriKind.Relative)), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Health_needs_no_key()
    {
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        var ready = await Api.Json(await anonymous.GetAsync(new Uri("/readyz", UriKind.Relative)));
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("Active", ready.GetProperty("silo").GetString());
        Assert.Equal("loaded", ready.GetProperty("models").GetProperty(ServerFixture.Model).GetString());
    }

    [Fact]
    public async Task Malformed_JSON_gets_400_and_an_unknown_model_404()
    {
        using var client = server.Client("errors");
        var malformed = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", """{"model":"demo","messages":[{"role":"user","content":"hi"}"""), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_json", malformed.GetProperty("code").GetString());

        var wrongType = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", """{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}"""), HttpStatusCode.BadRequest);
        Assert.Equal("max_tokens", wrongType.GetProperty("param").GetString());

        var unknown = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", Api.Chat("hi", model: "llama-70b")), HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", unknown.GetProperty("code").GetString());
        await Api.AssertError(await Api.PostJson(client, "/v1/completions", """{"model":"nope","prompt":"x"}"""), HttpStatusCode.NotFound);
        await Api.AssertError(await client.GetAsync(new Uri("/v1/models/nope", UriKind.Relative)), HttpStatusCode.NotFound);
        await Api.AssertError(await client.GetAsync(new Uri("/v1/no-such-endpoint", UriKind.Relative)), HttpStatusCode.NotFound);
        await Api.AssertError(await client.DeleteAsync(new Uri("/v1/models", UriKind.Relative)), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413()
    {
        using var client = server.Client("errors");
        var big = Api.Chat(new string('a', ServerFixture.MaxBodyBytes + 10));
        var error = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", big), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_gets_400_naming_the_numbers()
    {
        using var client = server.Client("errors");
        var story = string.Join(' ', Enumerable.Repeat("The little dog ran to the park.", 120));
        var tokens = MetaChat.PromptTokens(new Message(Role.User, story));
        var error = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", Api.Chat(story)), HttpStatusCode.BadRequest);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("maximum context length is 512 tokens", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains($"resulted in {tokens} tokens", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        var tooMany = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", Api.Chat("hi", maxTokens: 600)), HttpStatusCode.BadRequest);
        Assert.Equal("max_tokens", tooMany.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Roles_out_of_order_get_Meta_text()
    {
        using var client = server.Client("errors");
        var body = """{"model":"demo","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}""";
        var error = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", body), HttpStatusCode.BadRequest);
        Assert.Equal(ChatFormat.RoleError, error.GetProperty("message").GetString());

        var tool = """{"model":"demo","messages":[{"role":"tool","content":"a"}]}""";
        Assert.Equal(ChatFormat.RoleError, (await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", tool), HttpStatusCode.BadRequest)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_key_over_its_requests_per_minute_gets_429_with_Retry_After()
    {
        using var client = server.Client("limited");
        for (var i = 0; i < ServerFixture.LimitedRequestsPerMinute; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/v1/models", UriKind.Relative))).StatusCode);
        }

        using var refused = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
        var error = await Api.AssertError(refused, (HttpStatusCode)429);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        var retry = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retry);
        Assert.InRange(retry.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

        // Another key of the same server is not limited by this one.
        using var other = server.Client("errors");
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(new Uri("/v1/models", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task A_second_concurrent_stream_of_a_key_limited_to_one_gets_429_with_Retry_After()
    {
        using var client = server.Client("streams");
        using var first = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/chat/completions", UriKind.Relative))
        {
            Content = new StringContent(Api.Chat("Tell me a long story", maxTokens: 400, stream: true), Encoding.UTF8, "application/json"),
        };
        using var open = await client.SendAsync(first, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        using var reader = new StreamReader(await open.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync(), StringComparison.Ordinal);

        // The first stream's response is not read further, so it stays open (the server blocks on the full socket or finishes
        // generating but cannot end before the client reads): its lease is held.
        using var second = await Api.PostJson(client, "/v1/chat/completions", Api.Chat("hi", maxTokens: 4, stream: true));
        if (second.StatusCode == HttpStatusCode.OK)
        {
            Assert.Fail("The second stream was admitted while the first was open: " + await second.Content.ReadAsStringAsync());
        }

        var error = await Api.AssertError(second, (HttpStatusCode)429);
        Assert.Equal("too_many_streams", error.GetProperty("code").GetString());
        Assert.NotNull(second.Headers.RetryAfter?.Delta);
        await reader.ReadToEndAsync();

        // Unstreamed requests do not count as streams.
        Assert.Equal(HttpStatusCode.OK, (await Api.PostJson(client, "/v1/chat/completions", Api.Chat("hi", maxTokens: 4))).StatusCode);
    }

    [Fact]
    public async Task A_tenant_past_its_daily_quota_gets_429_until_midnight_UTC()
    {
        using var client = server.Client("quota");
        // The first request may spend past the quota; the next is refused.
        var first = await Api.Json(await Api.PostJson(client, "/v1/chat/completions", Api.Chat("Tell me a story", maxTokens: 30)));
        Assert.True(first.GetProperty("usage").GetProperty("total_tokens").GetInt32() >= ServerFixture.QuotaDailyTokens);

        using var refused = await Api.PostJson(client, "/v1/chat/completions", Api.Chat("Tell me a story", maxTokens: 30));
        var error = await Api.AssertError(refused, (HttpStatusCode)429);
        Assert.Equal("insufficient_quota", error.GetProperty("type").GetString());
        var retry = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retry);
        Assert.InRange(retry.Value, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));

        var usage = await Api.Json(await client.GetAsync(new Uri("/v1/usage", UriKind.Relative)));
        Assert.Equal(ServerFixture.QuotaDailyTokens, usage.GetProperty("daily_token_quota").GetInt64());
    }
}
