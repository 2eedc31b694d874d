using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace LlamaOrleans.WebUi.Tests;

/// <summary>axe-core, run in the browser over the page with a conversation, finds no serious or critical violation.</summary>
public sealed class AccessibilityTests(WebFixture server)
{
    [Theory]
    [InlineData(1280, 800, ColorScheme.Light)]
    [InlineData(390, 844, ColorScheme.Dark)]
    public async Task The_page_has_no_serious_accessibility_violation(int width, int height, ColorScheme scheme)
    {
        await using var context = await server.NewContextAsync("a11y", width, height, scheme);
        var chat = new ChatPage(await context.NewPageAsync());
        await chat.OpenAsync();
        await chat.SettingsAsync(maxTokens: 32);
        await chat.SendAsync("Write `code` and a list:\n- one\n- two");

        var results = await chat.Page.RunAxe();
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target))}").ToList();
        Assert.True(serious.Count == 0, string.Join("\n", serious));

        if (width < 700)
        {
            // At phone width the conversation list, with the key button, opens over the chat.
            await chat.Page.ClickAsync("#toggle-sidebar");
        }

        await chat.Page.ClickAsync("#change-key");
        var dialog = await chat.Page.RunAxe();
        Assert.DoesNotContain(dialog.Violations, v => v.Impact is "serious" or "critical");
    }
}
