using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>
/// Serves one rank or stage of a split model on the silo that loaded it (the weights and KV pool live in the silo's
/// <see cref="ModelHost"/>, so a new activation finds them as they were). Its coordinator calls it one step at a time.
/// </summary>
[ModelWorkerPlacement]
public sealed class ShardWorkerGrain(ModelHost host, ILocalSiloDetails silo) : Grain, IShardWorkerGrain
{
    private string _model = string.Empty;
    private int _rank;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (model, rank, siloKey) = ShardWorkerKey.Parse(this.GetPrimaryKeyString());
        if (siloKey != silo.SiloAddress.ToParsableString())
        {
            throw new ConversationException(ConversationErrorCode.Unavailable, $"Shard worker {this.GetPrimaryKeyString()} activated on the wrong silo {silo.SiloAddress}.");
        }

        (_model, _rank) = (model, rank);
        return Task.CompletedTask;
    }

    public async Task<ShardReply> Begin(ShardStepMessage step) =>
        ShardMessages.ToReply(await host.Rank(_model, _rank).BeginAsync(ShardMessages.ToStep(step)));

    public async Task<byte[]> Attention(long step, int layer, byte[] hidden) =>
        ShardMessages.ToBytes(await host.Rank(_model, _rank).AttentionAsync(step, layer, ShardMessages.ToFloats(hidden)));

    public async Task<byte[]> FeedForward(long step, int layer, byte[] hidden) =>
        ShardMessages.ToBytes(await host.Rank(_model, _rank).FeedForwardAsync(step, layer, ShardMessages.ToFloats(hidden)));

    public async Task<byte[]> Logits(long step, byte[] hidden) =>
        ShardMessages.ToBytes(await host.Rank(_model, _rank).LogitsAsync(step, ShardMessages.ToFloats(hidden)));

    public async Task<ShardReply> Forward(ShardStepMessage step, byte[]? hidden) =>
        ShardMessages.ToReply(await host.Stage(_model, _rank).ForwardAsync(ShardMessages.ToStep(step), hidden is null ? null : ShardMessages.ToFloats(hidden)));
}
