using System.Globalization;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LlamaOrleans.WebUi.Tests;

/// <summary>The chat page as a user drives it: settings, typing, Enter, and what the page shows.</summary>
internal sealed class ChatPage(IPage page)
{
    public IPage Page => page;

    public ILocator Messages => page.Locator("#transcript .message");

    public ILocator Replies => page.Locator("#transcript .message.assistant");

    public ILocator Conversations => page.Locator("#conversations li");

    public ILocator Meter => page.Locator("#context-meter");

    public async Task OpenAsync(string? hash = null)
    {
        await page.GotoAsync("/" + (hash is null ? string.Empty : "#" + hash));
        await Expect(page.Locator("#model option")).Not.ToHaveCountAsync(0);
    }

    /// <summary>Fills the new chat's settings (only those given).</summary>
    public async Task SettingsAsync(string? systemPrompt = null, double? temperature = null, int? maxTokens = null, string? policy = null, string? model = null)
    {
        if (model is not null)
        {
            await page.SelectOptionAsync("#model", model);
        }

        if (systemPrompt is not null)
        {
            await page.FillAsync("#system-prompt", systemPrompt);
        }

        if (temperature is { } t)
        {
            await page.FillAsync("#temperature", t.ToString(CultureInfo.InvariantCulture));
        }

        if (maxTokens is { } m)
        {
            await page.FillAsync("#max-tokens", m.ToString(CultureInfo.InvariantCulture));
        }

        if (policy is not null)
        {
            await page.SelectOptionAsync("#context-policy", policy);
        }
    }

    /// <summary>Types <paramref name="text"/>, presses Enter, and waits until the turn is done and the transcript shows it.</summary>
    public async Task SendAsync(string text)
    {
        await TypeAndEnterAsync(text);
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
    }

    /// <summary>Types <paramref name="text"/>, presses Enter and waits until the page has finished the turn (done, stopped or failed).</summary>
    public async Task TypeAndEnterAsync(string text)
    {
        var done = await TurnsDoneAsync();
        await page.FillAsync("#message", text);
        await page.PressAsync("#message", "Enter");
        // A turn of the slow model takes seconds, and many more on a loaded machine: allow it longer than an assertion.
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-turns-done", (done + 1).ToString(CultureInfo.InvariantCulture),
            new LocatorAssertionsToHaveAttributeOptions { Timeout = 180_000 });
        await Expect(page.Locator("#stop")).ToBeHiddenAsync();
    }

    private async Task<int> TurnsDoneAsync() =>
        int.Parse(await page.Locator("body").GetAttributeAsync("data-turns-done") ?? "0", CultureInfo.InvariantCulture);

    /// <summary>The conversation id the page shows (kept in the address, so a reload resumes it).</summary>
    public string ConversationId => new Uri(page.Url).Fragment.TrimStart('#');

    public async Task<(int Tokens, int Limit, int Reserve)> MeterAsync() =>
        (Number(await Meter.GetAttributeAsync("data-tokens")), Number(await Meter.GetAttributeAsync("data-limit")),
            Number(await Meter.GetAttributeAsync("data-reserve")));

    private static int Number(string? text) => int.Parse(text ?? "-1", CultureInfo.InvariantCulture);
}
