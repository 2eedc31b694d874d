namespace LlamaOrleans;

/// <summary>
/// One rank (tensor parallel) or stage (pipeline) of a split model, loaded on one silo. Keyed
/// "{model}#{rank}@{silo}" (<see cref="ShardWorkerKey"/>) and placed only there. The model's coordinator (its worker on
/// the silo of rank 0) drives it one step at a time; activations travel as float32 bytes.
/// </summary>
[Alias("llama.IShardWorkerGrain")]
public interface IShardWorkerGrain : IGrainWithStringKey
{
    /// <summary>Tensor parallel: starts a step and returns this rank's embedding columns.</summary>
    [Alias("Begin")]
    Task<ShardReply> Begin(ShardStepMessage step);

    /// <summary>Tensor parallel: this rank's partial sum of a layer's attention output.</summary>
    [Alias("Attention")]
    Task<byte[]> Attention(long step, int layer, byte[] hidden);

    /// <summary>Tensor parallel: this rank's partial sum of a layer's feed-forward output.</summary>
    [Alias("FeedForward")]
    Task<byte[]> FeedForward(long step, int layer, byte[] hidden);

    /// <summary>Tensor parallel: this rank's vocabulary slice of the logits of the given rows.</summary>
    [Alias("Logits")]
    Task<byte[]> Logits(long step, byte[] hidden);

    /// <summary>Pipeline: runs this stage's layers (from tokens on the first stage) and returns activations or logits.</summary>
    [Alias("Forward")]
    Task<ShardReply> Forward(ShardStepMessage step, byte[]? hidden);
}
