using Llama.Parallel;

namespace LlamaOrleans.Grains;

/// <summary>A tensor-parallel rank reached through its shard worker grain, wherever that runs.</summary>
public sealed class ShardWorkerRank(IShardWorkerGrain grain) : ITensorParallelRank
{
    public async Task<ShardOutput> BeginAsync(ShardStep step) => ShardMessages.ToOutput(await grain.Begin(ShardMessages.ToMessage(step)));

    public async Task<float[]> AttentionAsync(long step, int layer, float[] hidden) =>
        ShardMessages.ToFloats(await grain.Attention(step, layer, ShardMessages.ToBytes(hidden)));

    public async Task<float[]> FeedForwardAsync(long step, int layer, float[] hidden) =>
        ShardMessages.ToFloats(await grain.FeedForward(step, layer, ShardMessages.ToBytes(hidden)));

    public async Task<float[]> LogitsAsync(long step, float[] hidden) => ShardMessages.ToFloats(await grain.Logits(step, ShardMessages.ToBytes(hidden)));
}
