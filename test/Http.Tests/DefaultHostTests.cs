using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace LlamaOrleans.Http.Tests;

/// <summary>The default set-up (no keys configured) as OpenAI clients meet it: they insist on sending some key.</summary>
public sealed class DefaultHostTests(DefaultServerFixture server) : IClassFixture<DefaultServerFixture>
{
    [Fact]
    public async Task The_OpenAI_client_with_a_dummy_key_chats_and_lists_models_as_the_anonymous_caller()
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        var credential = new ApiKeyCredential("sk-dummy");
        ChatCompletion reply = await new ChatClient(ServerFixture.Model, credential, options).CompleteChatAsync(
            [new UserChatMessage("Tell me a story")], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 4 });
        Assert.Equal(4, reply.Usage.OutputTokenCount);
        Assert.False(string.IsNullOrEmpty(reply.Content[0].Text));

        OpenAIModelCollection models = await new OpenAIModelClient(credential, options).GetModelsAsync();
        Assert.Equal([ServerFixture.Model], models.Select(m => m.Id));

        // The turn was metered for the anonymous tenant.
        using var client = server.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "anything-at-all");
        var usage = await Api.Json(await client.GetAsync(new Uri("/v1/usage", UriKind.Relative)));
        Assert.Equal("default", usage.GetProperty("tenant").GetString());
        var row = Assert.Single(usage.GetProperty("data").EnumerateArray());
        Assert.Equal("anonymous", row.GetProperty("key").GetString());
        Assert.Equal(4, row.GetProperty("completion_tokens").GetInt64());
    }

    [Fact]
    public async Task By_default_metrics_are_served_on_the_API_port_without_a_key()
    {
        using var client = server.Client();
        using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("orleans_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
