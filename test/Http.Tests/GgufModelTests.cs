using Llama.Chat;
using Llama.Generation;
using Llama.Kernels;
using LlamaOrleans.Testing;
using LlamaOrleans.Testing.Checkpoints;

namespace LlamaOrleans.Http.Tests;

/// <summary>A silo of its own whose model is a GGUF file: the model workers and the HTTP API serve it as any checkpoint.</summary>
public sealed class GgufModelTests
{
    private const string Question = "Tell me about a cat.";
    private const int ReplyTokens = 24;

    [Fact]
    public async Task A_gguf_path_in_Llama_Models_answers_a_chat_completion_as_the_llama2c_original_does()
    {
        await using var server = new HttpSilo("gguf", "llama-http-gguf-");
        // stories260K as llama.cpp's converter writes it, float32, with its vocabulary inside: no tokenizer file.
        var gguf = Path.Combine(server.Folder, "stories260K-F32.gguf");
        GgufModels.WriteStories260K(gguf, WeightType.F32);
        await server.StartAsync(new Dictionary<string, string>
        {
            ["Llama:Models:0:Path"] = gguf,
            ["Llama:Models:0:Tokenizer"] = string.Empty,
        }, cancellationToken: TestContext.Current.CancellationToken);
        using var client = server.Client();

        using var response = await Api.PostJson(client, "/v1/chat/completions", Api.Chat(Question, maxTokens: ReplyTokens));
        var reply = (await Api.Json(response)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

        // The same dialog, greedy, through the engine in this process on the llama2.c original and its own tokenizer.
        using var engine = LlamaGenerator.Build(TestData.Model, TestData.Tok512, 512, 1);
        var expected = engine.ChatCompletion([[new Message(Role.User, Question)]], temperature: 0, maxGenLen: ReplyTokens)[0].Generation.Content;
        Assert.False(string.IsNullOrWhiteSpace(expected));
        Assert.Equal(expected, reply);
        // It was the GGUF file that answered, not the demo model the silo is configured with by default.
        Assert.Contains($"Loaded {gguf} (Gguf,", server.Process.Output, StringComparison.Ordinal);
    }
}
