using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LlamaOrleans.WebUi.Tests;

/// <summary>Text from users and models is shown as text: markup in it creates no elements and runs nothing.</summary>
public sealed class HostileTextTests(WebFixture server)
{
    private const string Hostile = "<script>window.pwned = 'script'</script> <img src=x onerror=\"window.pwned = 'img'\"> **bold** `code`";

    [Fact]
    public async Task Markup_in_the_users_message_and_system_prompt_renders_as_text()
    {
        await using var context = await server.NewContextAsync("hostile");
        var chat = new ChatPage(await context.NewPageAsync());
        await chat.OpenAsync();
        await chat.SettingsAsync(systemPrompt: Hostile, maxTokens: 16);
        await chat.SendAsync(Hostile);
        await chat.Page.ReloadAsync();
        await Expect(chat.Messages).ToHaveCountAsync(2);

        var user = chat.Page.Locator("#transcript .message.user .content");
        await Expect(user).ToContainTextAsync("<script>window.pwned = 'script'</script> <img src=x onerror=\"window.pwned = 'img'\">");
        await Expect(user.Locator("strong")).ToHaveTextAsync("bold");
        await Expect(chat.Page.Locator("#system-prompt")).ToHaveValueAsync(Hostile);
        await Expect(chat.Page.Locator("#conversations")).ToContainTextAsync("<script>");
        await AssertNothingInjectedAsync(chat.Page);
    }

    [Fact]
    public async Task Markup_in_the_models_reply_renders_as_text_while_streaming_and_in_the_transcript()
    {
        await using var context = await server.NewContextAsync("hostile");
        var page = await context.NewPageAsync();
        var chat = new ChatPage(page);
        await chat.OpenAsync();
        await chat.SettingsAsync(maxTokens: 16);
        await chat.SendAsync("Hello");
        var id = chat.ConversationId;

        // The tiny model will not write markup, so the server's answers are replaced by replies that do.
        var reply = "Here:\n```html\n<img src=x onerror=\"window.pwned = 'code'\">\n```\n" + Hostile;
        await page.RouteAsync($"**/v1/conversations/{id}/messages", async route =>
        {
            if (route.Request.Method == "POST")
            {
                var delta = JsonSerializer.Serialize(new { id = "m", conversation_id = id, delta = reply, @object = "conversation.turn.delta" });
                var turn = JsonSerializer.Serialize(new
                {
                    id = "m",
                    conversation_id = id,
                    reply = "",
                    finish_reason = "stop",
                    usage = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 },
                    cached_prompt_tokens = 4,
                    cache_hit = true,
                    replayed = false,
                    @object = "conversation.turn",
                });
                await route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = $"data: {delta}\n\ndata: {turn}\n\ndata: [DONE]\n\n" });
                return;
            }

            var transcript = JsonSerializer.Serialize(new
            {
                @object = "list",
                data = new[]
                {
                    new { role = "user", content = "Hello", message_id = "m", created_at = 0, in_context = true },
                    new { role = "assistant", content = reply, message_id = "m", created_at = 0, in_context = true },
                },
            });
            await route.FulfillAsync(new() { Status = 200, ContentType = "application/json", Body = transcript });
        });
        await chat.SendAsync("Show me some HTML");

        var shown = page.Locator("#transcript .message.assistant .content");
        await Expect(shown).ToHaveCountAsync(1);
        await Expect(shown.Locator(".code pre code")).ToHaveTextAsync("<img src=x onerror=\"window.pwned = 'code'\">");
        await Expect(shown).ToContainTextAsync("<script>window.pwned = 'script'</script>");
        await AssertNothingInjectedAsync(page);
    }

    [Fact]
    public async Task The_renderer_builds_only_its_own_elements_from_any_text()
    {
        await using var context = await server.NewContextAsync("hostile");
        var page = await context.NewPageAsync();
        await new ChatPage(page).OpenAsync();
        var rendered = await page.EvaluateAsync<JsonElement>("""
            async (text) => {
              const { renderMarkdown } = await import('/ui/markdown.js');
              const box = document.createElement('div');
              box.append(renderMarkdown(text));
              return { text: box.textContent, tags: [...box.querySelectorAll('*')].map(e => e.tagName.toLowerCase()),
                       attributes: [...box.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name)) };
            }
            """, "# Title\n- <b onmouseover=x>item</b>\n\nline one\n<iframe src=javascript:alert(1)></iframe> *it* " + Hostile
                + "\n```\n<svg onload=alert(1)>\n```");
        var tags = rendered.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Distinct().Order().ToArray();
        string[] expected = ["br", "button", "code", "div", "em", "h3", "li", "p", "pre", "span", "strong", "ul"];
        Assert.Equal(expected, tags);
        Assert.Empty(rendered.GetProperty("attributes").EnumerateArray().Select(a => a.GetString()).Except(["class", "type", "aria-label"]));
        var text = rendered.GetProperty("text").GetString();
        Assert.Contains("<b onmouseover=x>item</b>", text, StringComparison.Ordinal);
        Assert.Contains("<iframe src=javascript:alert(1)></iframe>", text, StringComparison.Ordinal);
        Assert.Contains("<svg onload=alert(1)>", text, StringComparison.Ordinal);
        Assert.Contains("<img src=x onerror=", text, StringComparison.Ordinal);
    }

    private static async Task AssertNothingInjectedAsync(IPage page)
    {
        Assert.Equal(0, await page.Locator("#transcript script, #transcript img, #transcript iframe, #transcript svg, #conversations img").CountAsync());
        Assert.Null(await page.EvaluateAsync<string?>("() => window.pwned ?? null"));
    }
}
