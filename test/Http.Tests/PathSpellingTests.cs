using System.Text.Json;

namespace LlamaOrleans.Http.Tests;

/// <summary>
/// Every spelling of a /v1 path that reaches an endpoint (routing ignores case, Kestrel removes dot segments and
/// decodes percent-encoding) passes the API key check and the rate limiter; none is a 500.
/// </summary>
public sealed class PathSpellingTests(ServerFixture server)
{
    public static readonly TheoryData<string, string> Spellings = new()
    {
        { "GET", "/V1/models" },
        { "GET", "/v1/MODELS" },
        { "GET", "/V1/Models/demo" },
        { "GET", "//v1/models" },
        { "GET", "/v1//models" },
        { "GET", "/v1/../v1/models" },
        { "GET", "/./v1/models" },
        { "GET", "/x/../V1/models" },
        { "GET", "/%76%31/models" },
        { "GET", "/%56%31/%4dodels" },
        { "GET", "/v1%2Fmodels" },
        { "GET", "/V1/usage" },
        { "GET", "/V1/conversations" },
        { "POST", "/V1/chat/completions" },
        { "POST", "/v1/Completions" },
        { "POST", "/V1/CONVERSATIONS" },
    };

    [Theory]
    [MemberData(nameof(Spellings))]
    public async Task Without_a_key_no_spelling_reaches_an_endpoint(string method, string target)
    {
        var json = method == "POST" ? Api.Chat("Tell me a story", maxTokens: 2) : null;
        var answer = await RawHttp.SendAsync(server.BaseAddress, method, target, json: json);
        // 401 for what reaches an endpoint or looks like /v1; 404 for what reaches none; never 200 nor 500.
        Assert.True(answer.Status is 401 or 404, $"{method} {target}: {answer.Status} {answer.Body}");
        Api.AssertErrorShape(answer.Body);
    }

    [Fact]
    public async Task With_a_key_every_spelling_is_that_caller_and_counts_against_its_rate_limit()
    {
        var key = $"Bearer {ServerFixture.KeyOf("paths")}";
        string[] targets = ["/V1/models", "/V1/Models/demo", "/v1/../v1/MODELS", "/%76%31/models", "/V1/usage"];
        Assert.Equal(ServerFixture.LimitedRequestsPerMinute, targets.Length);
        foreach (var target in targets)
        {
            var answer = await RawHttp.SendAsync(server.BaseAddress, "GET", target, key);
            Assert.True(answer.Status == 200, $"{target}: {answer.Status} {answer.Body}");
        }

        var usage = JsonDocument.Parse((await RawHttp.SendAsync(server.BaseAddress, "GET", "/V1/USAGE", key)).Body).RootElement;
        Assert.Equal("rate_limit_exceeded", usage.GetProperty("error").GetProperty("code").GetString());
    }
}
