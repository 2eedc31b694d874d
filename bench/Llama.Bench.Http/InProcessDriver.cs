using LlamaOrleans;

namespace Llama.Bench.Http;

/// <summary>Turns through the silo's own grain factory: what the HTTP API does underneath, without HTTP.</summary>
internal sealed class InProcessDriver(IGrainFactory grains) : ITurnDriver
{
    public string Name => "in-process";

    public async Task<string> CreateAsync(int maxTokens, CancellationToken cancellationToken)
    {
        var id = $"bench/{Guid.NewGuid():N}";
        await grains.GetGrain<IConversationGrain>(id).Configure(new ConversationSettings
        {
            Model = BenchServer.ModelName,
            Temperature = 0,
            MaxReplyTokens = maxTokens,
        });
        return id;
    }

    public async Task<int> StreamTurnAsync(string conversation, string content, CancellationToken cancellationToken)
    {
        var tokens = 0;
        await foreach (var delta in grains.GetGrain<IConversationGrain>(conversation)
            .SendStreaming(new UserMessage(Guid.NewGuid().ToString("N"), content), cancellationToken))
        {
            tokens = delta.Completed?.CompletionTokens ?? tokens;
        }

        return tokens;
    }
}
