using System.Text.Json;

namespace LlamaOrleans.WebUi.Tests;

/// <summary>Reads what the server holds, through the public API, to check what the page showed.</summary>
internal static class Api
{
    public static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement[]> MessagesAsync(HttpClient client, string id) =>
        [.. (await GetAsync(client, $"/v1/conversations/{id}/messages")).GetProperty("data").EnumerateArray()];

    public static Task<JsonElement> ConversationAsync(HttpClient client, string id) => GetAsync(client, $"/v1/conversations/{id}");
}
