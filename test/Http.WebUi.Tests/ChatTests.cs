using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LlamaOrleans.WebUi.Tests;

/// <summary>Chatting through the page in a real browser against a real silo: streaming, figures, stop, keyboard, copy, reload, delete.</summary>
public sealed class ChatTests(WebFixture server)
{
    [Fact]
    public async Task A_message_streams_its_reply_in_pieces_and_each_turn_shows_its_figures_and_the_context_meter()
    {
        await using var context = await server.NewContextAsync("chat");
        var chat = new ChatPage(await context.NewPageAsync());
        await chat.OpenAsync();
        await chat.SettingsAsync(temperature: 0, maxTokens: 200, model: WebFixture.SlowModel);
        // Every length the streaming reply shows, as the page renders it.
        await chat.Page.EvaluateAsync("""
            () => {
              window.lengths = [];
              new MutationObserver(() => {
                const reply = document.querySelector('#transcript .message.assistant.streaming .content');
                if (reply && reply.textContent.length) window.lengths.push(reply.textContent.length);
              }).observe(document.getElementById('transcript'), { subtree: true, childList: true, characterData: true });
            }
            """);
        await chat.SendAsync("Tell me a story about a cat.");

        var lengths = await chat.Page.EvaluateAsync<int[]>("() => window.lengths");
        Assert.True(lengths.Distinct().Count() >= 2, $"the reply appeared in one piece: {string.Join(", ", lengths)}");
        await Expect(chat.Messages).ToHaveCountAsync(2);
        using var client = server.Client("chat");
        var id = chat.ConversationId;
        var messages = await Api.MessagesAsync(client, id);
        Assert.Equal(2, messages.Length);
        Assert.Equal(messages[1].GetProperty("content").GetString(), await chat.Replies.First.EvaluateAsync<string>("e => e.rawText"));

        // Title from the first message, in the tenant's list.
        await Expect(chat.Conversations).ToHaveCountAsync(1);
        await Expect(chat.Conversations.First).ToContainTextAsync("Tell me a story about a cat.");
        await Expect(chat.Page.Locator("#chat-title")).ToHaveTextAsync("Tell me a story about a cat.");

        var status = await Api.ConversationAsync(client, id);
        var (tokens, limit, reserve) = await chat.MeterAsync();
        Assert.Equal(status.GetProperty("context_tokens").GetInt32(), tokens);
        Assert.Equal(512, limit);
        Assert.Equal(200, reserve);
        Assert.InRange(tokens, 1, limit);

        var figures = chat.Page.Locator("#transcript .figures");
        await Expect(figures).ToHaveCountAsync(1);
        await Expect(figures).ToContainTextAsync("TTFT");
        await Expect(figures).ToContainTextAsync("tok/s");
        await Expect(figures).ToContainTextAsync($"worker {status.GetProperty("cache_worker").GetString()}");
        Assert.StartsWith($"{WebFixture.SlowModel}@", status.GetProperty("cache_worker").GetString(), StringComparison.Ordinal);
        Assert.Equal("0", await figures.GetAttributeAsync("data-reused"));

        // The second turn finds the first one's cache on the worker: part of its prompt is not computed again.
        await chat.SendAsync("What did the cat eat?");
        await Expect(figures).ToHaveCountAsync(2);
        var reused = int.Parse(await figures.Last.GetAttributeAsync("data-reused") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var computed = int.Parse(await figures.Last.GetAttributeAsync("data-computed") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(reused > 0 && computed > 0, $"reused {reused}, computed {computed}");
        await Expect(figures.Last).ToContainTextAsync($"prompt {reused + computed}: {computed} computed, {reused} from KV cache");
        await Expect(chat.Page.Locator("#usage")).ToContainTextAsync("tokens used by your tenant");
    }

    [Fact]
    public async Task Stop_ends_the_reply_mid_stream_and_the_server_keeps_no_half_turn()
    {
        await using var context = await server.NewContextAsync("stop");
        var chat = new ChatPage(await context.NewPageAsync());
        await chat.OpenAsync();
        using var client = server.Client("stop");
        var cut = false;
        // A reply of the slow model takes seconds; on a very busy machine one may still finish before the cancellation
        // reaches its worker (then the turn is kept whole, as an unstopped one would be). A few tries show the cut.
        for (var attempt = 1; attempt <= 3 && !cut; attempt++)
        {
            await chat.Page.ClickAsync("#new-chat");
            await chat.SettingsAsync(temperature: 0.8, maxTokens: 200, model: WebFixture.SlowModel);
            // Press Stop as soon as the first piece of the reply shows, as a user would, only faster.
            await chat.Page.EvaluateAsync("""
                () => new MutationObserver((_, observer) => {
                  const reply = document.querySelector('#transcript .message.assistant.streaming .content');
                  if (reply && reply.textContent.length) { observer.disconnect(); document.getElementById('stop').click(); }
                }).observe(document.getElementById('transcript'), { subtree: true, childList: true, characterData: true })
                """);
            await chat.TypeAndEnterAsync("Tell me a very long story about a dragon.");

            var stopped = chat.Page.Locator("#transcript .message.assistant.stopped");
            await Expect(stopped).ToHaveCountAsync(1);
            await Expect(stopped.Locator(".badge")).ToHaveTextAsync("stopped");
            await Expect(chat.Page.Locator("#send")).ToBeVisibleAsync();
            var partial = await stopped.EvaluateAsync<string>("e => e.rawText");
            Assert.NotEmpty(partial);

            // The next turn runs once the cut one has ended (a conversation's turns run one at a time); the server's
            // transcript then holds whole turns only: the stopped one not at all, or (when it finished first) whole.
            await chat.SendAsync("Tell me about a cat.");
            var messages = await Api.MessagesAsync(client, chat.ConversationId);
            Assert.Equal(Enumerable.Range(0, messages.Length).Select(i => i % 2 == 0 ? "user" : "assistant"), messages.Select(m => m.GetProperty("role").GetString()));
            Assert.Equal("Tell me about a cat.", messages[^2].GetProperty("content").GetString());
            Assert.InRange(messages.Length, 2, 4);
            if (messages.Length == 4)
            {
                Assert.StartsWith(partial.TrimStart(), messages[1].GetProperty("content").GetString()!.TrimStart(), StringComparison.Ordinal);
            }

            cut = messages.Length == 2;
            await Expect(chat.Messages).ToHaveCountAsync(messages.Length);
        }

        Assert.True(cut, "every stopped reply was recorded whole: the stop never reached the server mid-turn");
    }

    [Fact]
    public async Task Shift_Enter_breaks_lines_copy_copies_a_reload_resumes_and_delete_removes()
    {
        await using var context = await server.NewContextAsync("resume");
        var chat = new ChatPage(await context.NewPageAsync());
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await chat.OpenAsync();
        await Expect(chat.Page.Locator("#model option")).ToHaveTextAsync(["demo (512 tokens)", "slow (512 tokens)"]);
        await chat.SettingsAsync(systemPrompt: "You tell short stories.", temperature: 0, maxTokens: 48);

        // Shift+Enter starts a new line; Enter sends.
        await chat.Page.FillAsync("#message", "Once upon a time");
        await chat.Page.PressAsync("#message", "Shift+Enter");
        await chat.Page.Keyboard.TypeAsync("there was a fox");
        await Expect(chat.Page.Locator("#message")).ToHaveValueAsync("Once upon a time\nthere was a fox");
        await Expect(chat.Messages).ToHaveCountAsync(0);
        await chat.SendAsync(await chat.Page.InputValueAsync("#message"));
        var id = chat.ConversationId;
        var reply = await chat.Replies.First.EvaluateAsync<string>("e => e.rawText");
        using var client = server.Client("resume");
        Assert.Equal("Once upon a time\nthere was a fox", (await Api.MessagesAsync(client, id))[0].GetProperty("content").GetString());

        // The copy button copies the reply's text as written, not as rendered.
        await chat.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Copy reply" }).ClickAsync();
        Assert.Equal(reply, await chat.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        await chat.Page.ReloadAsync();
        await Expect(chat.Messages).ToHaveCountAsync(2);
        Assert.Equal(id, chat.ConversationId);
        Assert.Equal(reply, await chat.Replies.First.EvaluateAsync<string>("e => e.rawText"));
        await Expect(chat.Page.Locator("#system-prompt")).ToHaveValueAsync("You tell short stories.");
        await Expect(chat.Page.Locator("#system-prompt")).ToBeDisabledAsync();
        await Expect(chat.Page.Locator("#transcript .figures")).ToHaveCountAsync(1);
        await Expect(chat.Meter).ToBeVisibleAsync();

        await chat.SendAsync("The end?");
        await Expect(chat.Messages).ToHaveCountAsync(4);
        Assert.Equal(2, (await Api.ConversationAsync(client, id)).GetProperty("turns").GetInt32());

        await chat.Conversations.First.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Delete") }).ClickAsync();
        await Expect(chat.Conversations).ToHaveCountAsync(0);
        await Expect(chat.Messages).ToHaveCountAsync(0);
        using var gone = await client.GetAsync(new Uri($"/v1/conversations/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
