using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using OpenAI;
using OpenAI.Chat;

namespace LlamaOrleans.Http.Tests;

/// <summary>OpenAI parameters the server cannot honour are refused by name, never silently ignored; their no-op values pass.</summary>
public sealed class UnsupportedParameterTests(ServerFixture server)
{
    private const string Chat = """{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":2,""";
    private const string Text = """{"model":"demo","prompt":"Once","max_tokens":2,""";

    public static readonly TheoryData<string, string, string> Refused = new()
    {
        { "/v1/chat/completions", Chat + """ "tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}""", "tools" },
        { "/v1/chat/completions", Chat + """ "tool_choice":"auto"}""", "tool_choice" },
        { "/v1/chat/completions", Chat + """ "tool_choice":{"type":"function","function":{"name":"f"}}}""", "tool_choice" },
        { "/v1/chat/completions", Chat + """ "response_format":{"type":"json_object"}}""", "response_format" },
        { "/v1/chat/completions", Chat + """ "response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}}}""", "response_format" },
        { "/v1/chat/completions", Chat + """ "functions":[{"name":"f","parameters":{}}]}""", "functions" },
        { "/v1/chat/completions", Chat + """ "function_call":"auto"}""", "function_call" },
        { "/v1/chat/completions", Chat + """ "audio":{"voice":"alloy","format":"wav"}}""", "audio" },
        { "/v1/chat/completions", Chat + """ "logit_bias":{"50256":-100}}""", "logit_bias" },
        { "/v1/chat/completions", Chat + """ "presence_penalty":0.5}""", "presence_penalty" },
        { "/v1/chat/completions", Chat + """ "frequency_penalty":-1}""", "frequency_penalty" },
        { "/v1/completions", Text + """ "best_of":3}""", "best_of" },
        { "/v1/completions", Text + """ "logit_bias":{"1":5}}""", "logit_bias" },
        { "/v1/completions", Text + """ "presence_penalty":1}""", "presence_penalty" },
        { "/v1/completions", Text + """ "frequency_penalty":0.1}""", "frequency_penalty" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_parameter_the_server_cannot_honour_is_a_400_naming_it(string path, string body, string param)
    {
        using var client = server.Client("errors");
        var error = await Api.AssertError(await Api.PostJson(client, path, body), HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("unsupported_parameter", error.GetProperty("code").GetString());
        Assert.Equal($"{param} is not supported by this server.", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("/v1/chat/completions", Chat + """ "tools":[],"tool_choice":"none","response_format":{"type":"text"},"logit_bias":{},"presence_penalty":0,"frequency_penalty":0,"function_call":"none"}""")]
    [InlineData("/v1/completions", Text + """ "best_of":1,"logit_bias":null,"presence_penalty":0,"frequency_penalty":0}""")]
    public async Task Values_that_ask_for_nothing_are_accepted(string path, string body)
    {
        using var client = server.Client("errors");
        using var response = await Api.PostJson(client, path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_OpenAI_SDK_sees_the_refusal_of_tools_and_of_a_JSON_response_format()
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        var chat = new ChatClient(ServerFixture.Model, new ApiKeyCredential(ServerFixture.KeyOf("errors")), options);
        var tools = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "The weather") } };
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")], tools));
        Assert.Equal(400, refused.Status);
        Assert.Contains("tools is not supported", refused.Message, StringComparison.Ordinal);

        var json = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() };
        var format = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")], json));
        Assert.Equal(400, format.Status);
        Assert.Contains("response_format is not supported", format.Message, StringComparison.Ordinal);
    }
}
