namespace Llama.Parallel;

/// <summary>
/// One rank of a tensor-parallel model, as Meta's fairscale layers cut it: a call per collective of a step. The
/// coordinator sends the residual stream h [rows, dim] and sums the ranks' partial results (all-reduce), or joins
/// their column slices (all-gather). Norms are replicated, so each rank normalizes h itself.
/// </summary>
public interface ITensorParallelRank
{
    /// <summary>Starts a step: performs its block operations and returns this rank's embedding columns [rows, dim / ranks].</summary>
    Task<ShardOutput> BeginAsync(ShardStep step);

    /// <summary>attention_norm, this rank's heads over its KV pool, and its wo slice: a partial sum [rows, dim].</summary>
    Task<float[]> AttentionAsync(long step, int layer, float[] hidden);

    /// <summary>ffn_norm, this rank's w1/w3 rows and w2 columns: a partial sum [rows, dim].</summary>
    Task<float[]> FeedForwardAsync(long step, int layer, float[] hidden);

    /// <summary>The final norm and this rank's slice of the vocabulary for the given rows: [rows, vocab / ranks].</summary>
    Task<float[]> LogitsAsync(long step, float[] hidden);
}
