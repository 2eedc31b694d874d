using System.Globalization;
using Llama.Chat;
using Llama.Generation;
using Llama.Model;
using LlamaOrleans.Testing;

namespace LlamaOrleans.Http.Tests;

/// <summary>
/// A silo of its own serving a model of seeded random weights (<c>Llama:Models:N:Random</c>, no checkpoint file): its
/// greedy chat completion over HTTP is the one the engine gives for the same shape and seed in this process.
/// </summary>
public sealed class RandomModelTests
{
    private const ulong Seed = 7;
    private const string Prompt = "Tell me a story about a dragon";
    private const int MaxTokens = 12;

    [Fact]
    public async Task A_silo_serves_a_random_weights_model_whose_greedy_reply_is_the_engines_for_the_same_seed()
    {
        await using var server = new HttpSilo("random", "llama-http-random-");
        await server.StartAsync(new Dictionary<string, string>
        {
            ["Llama:Models:0:Name"] = "tiny",
            ["Llama:Models:0:Path"] = string.Empty,
            ["Llama:Models:0:Tokenizer"] = TestData.Tok512,
            ["Llama:Models:0:MaxSeqLen"] = "256",
            ["Llama:Models:0:Random:Dim"] = "64",
            ["Llama:Models:0:Random:Layers"] = "2",
            ["Llama:Models:0:Random:Heads"] = "4",
            ["Llama:Models:0:Random:KvHeads"] = "2",
            ["Llama:Models:0:Random:HiddenDim"] = "172",
            ["Llama:Models:0:Random:Seed"] = Text((int)Seed),
        }, cancellationToken: TestContext.Current.CancellationToken);
        using var client = server.Client();
        Assert.Contains("Model tiny (hosted here): random weights, shape explicit, seed 7", server.Process.Output, StringComparison.Ordinal);

        var replies = new List<(string Content, int Tokens)>();
        for (var i = 0; i < 2; i++)
        {
            var reply = await Api.Json(await Api.PostJson(client, "/v1/chat/completions", Api.Chat(Prompt, MaxTokens, model: "tiny")));
            replies.Add((reply.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!,
                reply.GetProperty("usage").GetProperty("completion_tokens").GetInt32()));
        }

        // The reference: the same shape and seed created in this process, Meta's chat_completion greedy.
        var args = new ModelArgs { Dim = 64, NLayers = 2, NHeads = 4, NKvHeads = 2, ExplicitHiddenDim = 172 };
        using var engine = LlamaGenerator.Random(args, TestData.Tok512, Seed, 256, 1);
        var expected = engine.ChatCompletion([[new Message(Role.User, Prompt)]], temperature: 0, maxGenLen: MaxTokens)[0];

        Assert.InRange(replies[0].Tokens, 1, MaxTokens);
        Assert.Equal(expected.TokenIds.Count, replies[0].Tokens);
        Assert.Equal(expected.Generation.Content, replies[0].Content);
        Assert.Equal(replies[0], replies[1]);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
