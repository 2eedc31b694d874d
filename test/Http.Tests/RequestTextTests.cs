using System.Net;

namespace LlamaOrleans.Http.Tests;

/// <summary>Strings that are no text (a lone UTF-16 surrogate escape) and numbers at the edges of their types: 400s naming the field.</summary>
public sealed class RequestTextTests(ServerFixture server)
{
    public static readonly TheoryData<string, string, string> LoneSurrogates = new()
    {
        { "/v1/chat/completions", """{"model":"demo","messages":[{"role":"user","content":"hi \ud800"}],"max_tokens":2}""", "messages[0].content" },
        { "/v1/chat/completions", """{"model":"demo","messages":[{"role":"system","content":"\udfff be brief"},{"role":"user","content":"hi"}],"max_tokens":2}""", "messages[0].content" },
        { "/v1/chat/completions", """{"model":"demo","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"text","text":"\ud800"}]}],"max_tokens":2}""", "messages[0].content[1].text" },
        { "/v1/chat/completions", """{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stop":"\ud800"}""", "stop" },
        { "/v1/chat/completions", """{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stop":["a","\udc00"]}""", "stop[1]" },
        { "/v1/completions", """{"model":"demo","prompt":"Once \ud800","max_tokens":2}""", "prompt" },
        { "/v1/completions", """{"model":"demo","prompt":["\ud800"],"max_tokens":2}""", "prompt[0]" },
        { "/v1/completions", """{"model":"demo","prompt":"Once","max_tokens":2,"stop":["\ud800"]}""", "stop[0]" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task A_lone_surrogate_escape_is_a_400_naming_the_field(string path, string body, string param)
    {
        using var client = server.Client("errors");
        var error = await Api.AssertError(await Api.PostJson(client, path, body), HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains("surrogate", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_largest_max_tokens_is_reported_without_overflow()
    {
        using var client = server.Client("errors");
        var body = """{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":2147483647}""";
        var error = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", body), HttpStatusCode.BadRequest);
        Assert.Equal("max_tokens", error.GetProperty("param").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("2147483647 for the completion", message, StringComparison.Ordinal);
        Assert.DoesNotContain("-", message, StringComparison.Ordinal);
        var requested = long.Parse(message.Split("you requested ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(requested > int.MaxValue);
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"top_p":5e-324}""")]
    [InlineData("/v1/completions", """{"model":"demo","prompt":"Once","max_tokens":2,"top_p":1e-50}""")]
    [InlineData("/v1/conversations", """{"model":"demo","top_p":5e-324}""")]
    public async Task A_top_p_that_is_zero_in_single_precision_is_a_400_naming_top_p(string path, string body)
    {
        using var client = server.Client("errors");
        var error = await Api.AssertError(await Api.PostJson(client, path, body), HttpStatusCode.BadRequest);
        Assert.Equal("top_p", error.GetProperty("param").GetString());
    }
}
