using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LlamaOrleans.WebUi.Tests;

/// <summary>
/// A chat that outgrows the demo model's 512-token context: the page marks where old turns left the model's view, its
/// context meter stays within the maximum, and the screenshots of docs/http.md are taken from it.
/// </summary>
public sealed class ContextTests(WebFixture server)
{
    private const int Turns = 40;

    [Fact]
    public async Task A_forty_turn_chat_shows_the_trim_marker_and_the_meter_never_exceeds_the_context()
    {
        await using var context = await server.NewContextAsync("trim");
        var chat = new ChatPage(await context.NewPageAsync());
        await chat.OpenAsync();
        await chat.SettingsAsync(systemPrompt: "You are a storyteller.", temperature: 0, maxTokens: 24);
        var peak = 0;
        for (var turn = 1; turn <= Turns; turn++)
        {
            await chat.SendAsync($"Turn {turn}: what happened next?");
            var (tokens, limit, reserve) = await chat.MeterAsync();
            Assert.Equal(512, limit);
            Assert.Equal(24, reserve);
            Assert.InRange(tokens, 1, limit);
            Assert.Equal(tokens.ToString(System.Globalization.CultureInfo.InvariantCulture), await chat.Meter.GetAttributeAsync("aria-valuenow"));
            peak = Math.Max(peak, tokens);
        }

        await Expect(chat.Messages).ToHaveCountAsync(2 * Turns);
        using var client = server.Client("trim");
        var id = chat.ConversationId;
        var status = await Api.ConversationAsync(client, id);
        Assert.True(status.GetProperty("trims").GetInt32() > 0, status.ToString());
        var outOfContext = (await Api.MessagesAsync(client, id)).Count(m => !m.GetProperty("in_context").GetBoolean());
        Assert.True(outOfContext > 0);
        Assert.True(peak > 512 / 2, $"the chat never filled the context: peak {peak}");

        // One marker, right after the last message the model no longer sees, saying how many left.
        var marker = chat.Page.Locator("#transcript .trim-marker");
        await Expect(marker).ToHaveCountAsync(1);
        await Expect(marker).ToContainTextAsync($"{outOfContext} earlier messages trimmed out of the model's context");
        await Expect(chat.Page.Locator("#transcript .message.out-of-context")).ToHaveCountAsync(outOfContext);
        Assert.True(await chat.Page.EvaluateAsync<bool>(
            "() => { const m = document.querySelector('.trim-marker'); return m.previousElementSibling.matches('.out-of-context, .figures') && m.nextElementSibling.matches('.message:not(.out-of-context)'); }"));

        await Screenshots(chat.Page, id);
    }

    [Fact]
    public async Task A_summarizing_chat_shows_the_summary_the_model_sees()
    {
        await using var context = await server.NewContextAsync("summary");
        var chat = new ChatPage(await context.NewPageAsync());
        await chat.OpenAsync();
        await chat.SettingsAsync(temperature: 0, maxTokens: 24, policy: "summarize");
        using var client = server.Client("summary");
        for (var turn = 1; turn <= Turns; turn++)
        {
            await chat.SendAsync($"Turn {turn}: and then?");
            Assert.InRange((await chat.MeterAsync()).Tokens, 1, 512);
            if (await chat.Page.Locator("#transcript .trim-marker details").CountAsync() > 0)
            {
                break;
            }
        }

        var summary = (await Api.ConversationAsync(client, chat.ConversationId)).GetProperty("summary").GetString();
        Assert.False(string.IsNullOrEmpty(summary));
        var marker = chat.Page.Locator("#transcript .trim-marker");
        await Expect(marker).ToContainTextAsync("summarized out of the model's context");
        await marker.Locator("summary").ClickAsync();
        await Expect(marker.Locator(".summary-text")).ToHaveTextAsync(summary!);
    }

    /// <summary>The page at desktop and phone width, light and dark, into artifacts/webui (docs/images keeps copies).</summary>
    private async Task Screenshots(IPage desktop, string id)
    {
        var folder = WebFixture.ArtifactsDirectory;
        await ShowMarkerAsync(desktop);
        await desktop.ScreenshotAsync(new() { Path = Path.Combine(folder, "chat-desktop.png") });
        foreach (var (name, scheme, marker) in new[] { ("chat-phone.png", ColorScheme.Light, false), ("chat-phone-dark.png", ColorScheme.Dark, true) })
        {
            await using var phone = await server.NewContextAsync("trim", width: 390, height: 844, scheme: scheme);
            var page = new ChatPage(await phone.NewPageAsync());
            await page.OpenAsync(id);
            await Expect(page.Messages).ToHaveCountAsync(2 * Turns);
            if (marker)
            {
                await ShowMarkerAsync(page.Page);
            }

            await page.Page.ScreenshotAsync(new() { Path = Path.Combine(folder, name) });
        }
    }

    private static Task ShowMarkerAsync(IPage page) =>
        page.EvaluateAsync("() => document.querySelector('.trim-marker').scrollIntoView({ block: 'center' })");
}
