using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlamaOrleans.Http.Tests;

/// <summary>With X-Conversation-Id, a chat request's max_tokens, temperature and top_p hold for that turn.</summary>
public sealed class ConversationTurnOptionsTests(ServerFixture server)
{
    private const string Message = "Tell me about a fox.";

    /// <summary>A conversation that samples hot (unless <paramref name="temperature"/>) with long replies unless a turn says otherwise.</summary>
    private static async Task<string> Create(HttpClient client, string temperature = "1.5")
    {
        using var response = await Api.PostJson(client, "/v1/conversations", $$"""{"model":"demo","temperature":{{temperature}},"top_p":1,"max_tokens":40}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Api.Json(response)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> Turn(HttpClient client, string id, JsonObject sampling)
    {
        var body = JsonNode.Parse(Api.Chat(Message))!.AsObject();
        body.Remove("max_tokens");
        body.Remove("temperature");
        foreach (var (key, value) in sampling)
        {
            body[key] = value?.DeepClone();
        }

        return await Api.Json(await Api.PostJson(client, "/v1/chat/completions", body.ToJsonString(), ("X-Conversation-Id", id)));
    }

    [Fact]
    public async Task The_requests_max_tokens_temperature_and_top_p_hold_for_that_turn()
    {
        using var client = server.Client("sse");
        // The reference: the same dialog, stateless and greedy, six tokens.
        var greedy = await Api.Json(await Api.PostJson(client, "/v1/chat/completions", Api.Chat(Message, maxTokens: 6)));
        var expected = greedy.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.Equal(6, greedy.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var cold = await Turn(client, await Create(client), new JsonObject { ["max_tokens"] = 6, ["temperature"] = 0 });
        Assert.Equal(6, cold.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(expected, cold.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());

        // A top_p this small keeps only the most likely token, whatever the temperature: greedy again.
        var narrow = await Turn(client, await Create(client), new JsonObject { ["max_tokens"] = 6, ["temperature"] = 1, ["top_p"] = 0.000001 });
        Assert.Equal(expected, narrow.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());

        // Without them, the conversation's settings apply: its 40-token replies (greedy, the demo model does not end one itself).
        var id = await Create(client, temperature: "0");
        var settings = await Turn(client, id, []);
        Assert.Equal(40, settings.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_max_tokens_beyond_the_context_is_refused_naming_it()
    {
        using var client = server.Client("sse");
        var id = await Create(client);
        var body = JsonNode.Parse(Api.Chat(Message, maxTokens: 512))!.ToJsonString();

        var error = await Api.AssertError(await Api.PostJson(client, "/v1/chat/completions", body, ("X-Conversation-Id", id)), HttpStatusCode.BadRequest);

        Assert.Equal("max_tokens", error.GetProperty("param").GetString());
        var status = await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative)));
        Assert.Equal(0, status.GetProperty("turns").GetInt32());
    }
}
