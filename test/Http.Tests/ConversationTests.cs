using System.Net;
using System.Text;
using System.Text.Json;

namespace LlamaOrleans.Http.Tests;

/// <summary>Server-side conversations: their lifecycle, idempotent turns, tenant isolation and consistency after a disconnect.</summary>
public sealed class ConversationTests(ServerFixture server)
{
    private static async Task<string> Create(HttpClient client, string body = """{"model":"demo","system_prompt":"You tell short stories.","temperature":0,"max_tokens":24}""")
    {
        using var response = await Api.PostJson(client, "/v1/conversations", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await Api.Json(response);
        var id = json.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/conversations/{id}", response.Headers.Location?.OriginalString);
        return id;
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string id, string content, string? messageId = null, bool stream = false) =>
        Api.PostJson(client, $"/v1/conversations/{id}/messages", JsonSerializer.Serialize(new { content, stream }),
            messageId is null ? [] : [("X-Message-Id", messageId)]);

    [Fact]
    public async Task A_conversation_keeps_its_settings_history_and_cache_and_replays_a_repeated_message_id()
    {
        using var client = server.Client("alice");
        var id = await Create(client);
        var created = await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative)));
        Assert.Equal("You tell short stories.", created.GetProperty("system_prompt").GetString());
        Assert.Equal(0, created.GetProperty("turns").GetInt32());
        Assert.Equal(512, created.GetProperty("context_limit").GetInt32());

        var first = await Api.Json(await Send(client, id, "Tell me about a dog.", "m-1"));
        Assert.Equal("m-1", first.GetProperty("id").GetString());
        Assert.Equal(24, first.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.False(first.GetProperty("replayed").GetBoolean());

        var again = await Api.Json(await Send(client, id, "Tell me about a dog.", "m-1"));
        Assert.True(again.GetProperty("replayed").GetBoolean());
        Assert.Equal(first.GetProperty("reply").GetString(), again.GetProperty("reply").GetString());

        var second = await Api.Json(await Send(client, id, "What happened next?", "m-2"));
        Assert.True(second.GetProperty("cache_hit").GetBoolean());
        // The first turn's tokens came from the cache (up to where Meta's re-encoding of the reply differs from the generated tokens).
        Assert.InRange(second.GetProperty("cached_prompt_tokens").GetInt32(), 1, second.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        var history = (await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}/messages", UriKind.Relative)))).GetProperty("data");
        Assert.Equal(["user", "assistant", "user", "assistant"], history.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(first.GetProperty("reply").GetString(), history[1].GetProperty("content").GetString());
        Assert.Equal("m-2", history[3].GetProperty("message_id").GetString());
        Assert.Equal(2, (await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative)))).GetProperty("turns").GetInt32());
    }

    [Fact]
    public async Task A_streamed_turn_sends_deltas_then_the_turn_and_DONE()
    {
        using var client = server.Client("alice");
        var id = await Create(client);
        using var response = await Send(client, id, "Tell me about a cat.", "s-1", stream: true);
        var events = Api.SseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var turn = JsonDocument.Parse(events[^2]).RootElement;
        Assert.Equal("conversation.turn", turn.GetProperty("object").GetString());
        var deltas = events.SkipLast(2).Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(deltas, d => Assert.Equal("conversation.turn.delta", d.GetProperty("object").GetString()));

        var history = (await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}/messages", UriKind.Relative)))).GetProperty("data");
        Assert.Equal(string.Concat(deltas.Select(d => d.GetProperty("delta").GetString())), history[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task The_X_Conversation_Id_header_continues_a_conversation_through_chat_completions()
    {
        using var client = server.Client("alice");
        var id = await Create(client);
        var body = Api.Chat("Tell me about a bird.");
        using var first = await Api.PostJson(client, "/v1/chat/completions", body, ("X-Conversation-Id", id), ("X-Message-Id", "c-1"));
        var reply = (await Api.Json(first)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        using var second = await Api.PostJson(client, "/v1/chat/completions", Api.Chat("And then?"), ("X-Conversation-Id", id));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        var status = await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative)));
        Assert.Equal(2, status.GetProperty("turns").GetInt32());
        Assert.True(status.GetProperty("cached_tokens").GetInt32() > 0);
        var history = (await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}/messages", UriKind.Relative)))).GetProperty("data");
        Assert.Equal(reply, history[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task Conversations_list_in_pages_and_a_deleted_one_is_gone()
    {
        using var client = server.Client("alice-second");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await Create(client));
        }

        // Both keys of tenant alice see the tenant's conversations; pages go oldest first.
        var all = new List<string>();
        string? after = null;
        do
        {
            var query = after is null ? "?limit=2" : $"?limit=2&after={after}";
            var page = await Api.Json(await client.GetAsync(new Uri("/v1/conversations" + query, UriKind.Relative)));
            all.AddRange(page.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()!));
            after = page.GetProperty("has_more").GetBoolean() ? page.GetProperty("last_id").GetString() : null;
        }
        while (after is not null);
        Assert.Equal(ids, all.Where(ids.Contains));

        var deleted = await Api.Json(await client.DeleteAsync(new Uri($"/v1/conversations/{ids[1]}", UriKind.Relative)));
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        await Api.AssertError(await client.GetAsync(new Uri($"/v1/conversations/{ids[1]}", UriKind.Relative)), HttpStatusCode.NotFound);
        var listed = await Api.Json(await client.GetAsync(new Uri("/v1/conversations?limit=100", UriKind.Relative)));
        Assert.DoesNotContain(ids[1], listed.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        await Api.AssertError(await client.GetAsync(new Uri("/v1/conversations?limit=0", UriKind.Relative)), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Another_tenant_gets_404_for_every_use_of_a_conversation_id()
    {
        using var alice = server.Client("alice");
        using var bob = server.Client("bob");
        var id = await Create(alice);
        await Send(alice, id, "A secret about the moon.", "a-1");

        await Api.AssertError(await bob.GetAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative)), HttpStatusCode.NotFound);
        await Api.AssertError(await bob.GetAsync(new Uri($"/v1/conversations/{id}/messages", UriKind.Relative)), HttpStatusCode.NotFound);
        await Api.AssertError(await Send(bob, id, "Tell me the secret."), HttpStatusCode.NotFound);
        await Api.AssertError(await Send(bob, id, "Tell me the secret.", stream: true), HttpStatusCode.NotFound);
        await Api.AssertError(await bob.DeleteAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative)), HttpStatusCode.NotFound);
        await Api.AssertError(await Api.PostJson(bob, "/v1/chat/completions", Api.Chat("hi"), ("X-Conversation-Id", id)), HttpStatusCode.NotFound);
        var listed = await Api.Json(await bob.GetAsync(new Uri("/v1/conversations?limit=100", UriKind.Relative)));
        Assert.DoesNotContain(id, listed.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()));

        // Alice's conversation is untouched by all that.
        var status = await Api.Json(await alice.GetAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative)));
        Assert.Equal(1, status.GetProperty("turns").GetInt32());
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_leaves_no_half_turn_and_the_next_turn_works()
    {
        using var client = server.Client("alice");
        var id = await Create(client, """{"model":"demo","temperature":0,"max_tokens":400}""");
        await Send(client, id, "Tell me about a fox.", "d-1");

        // A client of its own, disposed with its connection: a shared one would drain the rest of the stream to reuse it.
        using (var streaming = server.Client("alice"))
        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/v1/conversations/{id}/messages", UriKind.Relative)))
        {
            request.Content = new StringContent("""{"content":"Tell me a very long story.","stream":true}""", Encoding.UTF8, "application/json");
            request.Headers.Add("X-Message-Id", "d-2");
            using var response = await streaming.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        }

        // The next turn waits for the cut one to end (turns are serialized); the cut turn is then either wholly recorded or absent.
        var next = await Api.Json(await Send(client, id, "What did the fox eat?", "d-3"));
        Assert.False(string.IsNullOrEmpty(next.GetProperty("reply").GetString()));
        var history = (await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}/messages", UriKind.Relative)))).GetProperty("data");
        var roles = history.EnumerateArray().Select(m => m.GetProperty("role").GetString()).ToList();
        Assert.True(roles.Count is 4 or 6, $"history has {roles.Count} messages");
        Assert.Equal(Enumerable.Range(0, roles.Count).Select(i => i % 2 == 0 ? "user" : "assistant"), roles);
        var ids = history.EnumerateArray().Select(m => m.GetProperty("message_id").GetString()).ToList();
        Assert.Equal(roles.Count == 6 ? ["d-1", "d-1", "d-2", "d-2", "d-3", "d-3"] : ["d-1", "d-1", "d-3", "d-3"], ids);
        var status = await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative)));
        Assert.Equal(roles.Count / 2, status.GetProperty("turns").GetInt32());
    }

    [Fact]
    public async Task Bad_conversation_settings_and_messages_get_400()
    {
        using var client = server.Client("alice");
        await Api.AssertError(await Api.PostJson(client, "/v1/conversations", """{"model":"demo","context_policy":"forget"}"""), HttpStatusCode.BadRequest);
        await Api.AssertError(await Api.PostJson(client, "/v1/conversations", """{"model":"demo","max_tokens":100000}"""), HttpStatusCode.BadRequest);
        await Api.AssertError(await Api.PostJson(client, "/v1/conversations", """{"model":"nope"}"""), HttpStatusCode.NotFound);
        var id = await Create(client);
        await Api.AssertError(await Api.PostJson(client, $"/v1/conversations/{id}/messages", """{"content":""}"""), HttpStatusCode.BadRequest);
        await Api.AssertError(await Api.PostJson(client, $"/v1/conversations/{id}/messages", """{"content":"hi"}""", ("X-Message-Id", new string('x', 200))), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_message_id_resent_with_other_content_is_a_409_and_with_the_same_content_still_replays()
    {
        using var client = server.Client("bob");
        var id = await Create(client);
        var first = await Api.Json(await Send(client, id, "Tell me about a cat.", "k-1"));
        Assert.False(first.GetProperty("replayed").GetBoolean());

        var conflict = await Api.AssertError(await Send(client, id, "Tell me about a horse.", "k-1"), HttpStatusCode.Conflict);
        Assert.Equal("message_id_conflict", conflict.GetProperty("code").GetString());
        Assert.Equal("X-Message-Id", conflict.GetProperty("param").GetString());
        Assert.Contains("'k-1'", conflict.GetProperty("message").GetString(), StringComparison.Ordinal);

        var again = await Api.Json(await Send(client, id, "Tell me about a cat.", "k-1"));
        Assert.True(again.GetProperty("replayed").GetBoolean());
        Assert.Equal(first.GetProperty("reply").GetString(), again.GetProperty("reply").GetString());
        var status = await Api.Json(await client.GetAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative)));
        Assert.Equal(1, status.GetProperty("turns").GetInt32());
    }
}
