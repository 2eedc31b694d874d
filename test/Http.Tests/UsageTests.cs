using System.Globalization;
using System.Net;

namespace LlamaOrleans.Http.Tests;

/// <summary>Usage metering per tenant, key, model and day, as the responses reported it.</summary>
public sealed class UsageTests(ServerFixture server)
{
    [Fact]
    public async Task Usage_adds_up_the_tokens_the_responses_reported_for_the_tenant_only()
    {
        using var client = server.Client("meter");
        long prompt = 0, completion = 0;
        foreach (var max in new[] { 5, 9, 13 })
        {
            var reply = await Api.Json(await Api.PostJson(client, "/v1/chat/completions", Api.Chat("Tell me a story", maxTokens: max)));
            prompt += reply.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
            completion += reply.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        }

        var text = await Api.Json(await Api.PostJson(client, "/v1/completions", """{"model":"demo","prompt":"Once","max_tokens":3,"temperature":0}"""));
        prompt += text.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        completion += text.GetProperty("usage").GetProperty("completion_tokens").GetInt32();

        var usage = await Api.Json(await client.GetAsync(new Uri("/v1/usage", UriKind.Relative)));
        Assert.Equal("meter", usage.GetProperty("tenant").GetString());
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var row = Assert.Single(usage.GetProperty("data").EnumerateArray());
        Assert.Equal(today, row.GetProperty("date").GetString());
        Assert.Equal("meter", row.GetProperty("key").GetString());
        Assert.Equal(ServerFixture.Model, row.GetProperty("model").GetString());
        Assert.Equal(4, row.GetProperty("requests").GetInt64());
        Assert.Equal(prompt, row.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(completion, row.GetProperty("completion_tokens").GetInt64());

        var range = await Api.Json(await client.GetAsync(new Uri($"/v1/usage?from={DateTime.UtcNow.AddDays(-7):yyyy-MM-dd}&to={today}", UriKind.Relative)));
        Assert.Single(range.GetProperty("data").EnumerateArray());
        await Api.AssertError(await client.GetAsync(new Uri("/v1/usage?from=yesterday", UriKind.Relative)), HttpStatusCode.BadRequest);
        await Api.AssertError(await client.GetAsync(new Uri($"/v1/usage?from=2020-01-01&to={today}", UriKind.Relative)), HttpStatusCode.BadRequest);
    }
}
