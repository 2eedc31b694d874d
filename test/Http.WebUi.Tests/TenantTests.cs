using static Microsoft.Playwright.Assertions;

namespace LlamaOrleans.WebUi.Tests;

/// <summary>API keys entered in the page: each tenant's page lists its own conversations only; no key runs anonymously.</summary>
public sealed class TenantTests(WebFixture server)
{
    [Fact]
    public async Task Two_keys_of_two_tenants_see_only_their_own_conversations()
    {
        await using var aliceContext = await server.NewContextAsync("alice");
        await using var bobContext = await server.NewContextAsync("bob");
        var alice = new ChatPage(await aliceContext.NewPageAsync());
        var bob = new ChatPage(await bobContext.NewPageAsync());
        await alice.OpenAsync();
        await bob.OpenAsync();
        await alice.SettingsAsync(maxTokens: 16);
        await bob.SettingsAsync(maxTokens: 16);
        await alice.SendAsync("Alice's secret plan");
        await bob.SendAsync("Bob's shopping list");
        var bobsId = bob.ConversationId;

        await alice.Page.ReloadAsync();
        await bob.Page.ReloadAsync();
        await Expect(alice.Conversations).ToHaveCountAsync(1);
        await Expect(alice.Conversations.First.Locator(".conversation")).ToHaveTextAsync("Alice's secret plan");
        await Expect(bob.Conversations).ToHaveCountAsync(1);
        await Expect(bob.Conversations.First.Locator(".conversation")).ToHaveTextAsync("Bob's shopping list");

        // Alice's page given Bob's conversation id asks the server for it, which has none such for her tenant.
        await alice.OpenAsync(bobsId);
        await Expect(alice.Page.Locator("#error")).ToHaveTextAsync($"No conversation '{bobsId}' found.");
        await Expect(alice.Page.Locator("#chat-title")).ToHaveTextAsync("New chat");
        await Expect(alice.Messages).ToHaveCountAsync(0);
        await Expect(alice.Conversations).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Without_a_key_the_page_works_anonymously_and_a_key_entered_switches_to_its_tenant()
    {
        await using var context = await server.NewContextAsync(tenant: null);
        var page = new ChatPage(await context.NewPageAsync());
        await page.OpenAsync();
        await Expect(page.Page.Locator("#key-dialog")).Not.ToBeVisibleAsync();
        await page.SettingsAsync(maxTokens: 16);
        await page.SendAsync("Hello from nobody in particular");
        await Expect(page.Replies).ToHaveCountAsync(1);

        // A wrong key is refused and asked for again; the tenant's key then shows that tenant's conversations only.
        await page.Page.ClickAsync("#change-key");
        await page.Page.FillAsync("#key-input", "sk-wrong-key");
        await page.Page.ClickAsync("#key-save");
        await Expect(page.Page.Locator("#key-dialog")).ToBeVisibleAsync();
        await Expect(page.Page.Locator("#key-reason")).ToContainTextAsync("refused");
        await page.Page.FillAsync("#key-input", WebFixture.KeyOf("bob"));
        await page.Page.ClickAsync("#key-save");
        await Expect(page.Page.Locator("#key-dialog")).Not.ToBeVisibleAsync();
        await Expect(page.Conversations.Filter(new() { HasText = "Hello from nobody" })).ToHaveCountAsync(0);
        Assert.Equal(WebFixture.KeyOf("bob"), await page.Page.EvaluateAsync<string>("() => sessionStorage.getItem('llama-orleans-api-key')"));
    }
}
