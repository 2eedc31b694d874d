using Llama.Parallel;

namespace LlamaOrleans.Grains;

/// <summary>A pipeline stage reached through its shard worker grain, wherever that runs.</summary>
public sealed class ShardWorkerStage(IShardWorkerGrain grain) : IPipelineStage
{
    public async Task<ShardOutput> ForwardAsync(ShardStep step, float[]? hidden) =>
        ShardMessages.ToOutput(await grain.Forward(ShardMessages.ToMessage(step), hidden is null ? null : ShardMessages.ToBytes(hidden)));
}
