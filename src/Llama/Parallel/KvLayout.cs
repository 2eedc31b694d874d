using static TorchSharp.torch;

namespace Llama.Parallel;

/// <summary>
/// The KV memory of a split model, as its coordinator plans block tables and every rank or stage holds them: sequences
/// of up to <see cref="MaxSeqLen"/> positions, up to <see cref="MaxBatchSize"/> of them a step, in pools of
/// <see cref="Blocks"/> blocks of <see cref="BlockSize"/> positions stored as <see cref="DType"/>.
/// </summary>
public sealed record KvLayout(int MaxSeqLen, int MaxBatchSize, int Blocks, int BlockSize, ScalarType DType)
{
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSeqLen, 1, nameof(MaxSeqLen));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, nameof(MaxBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Blocks, 1, nameof(Blocks));
        ArgumentOutOfRangeException.ThrowIfLessThan(BlockSize, 1, nameof(BlockSize));
    }

    /// <summary>
    /// Null when a shard of layout <paramref name="shard"/> can follow this coordinator's block tables (same block size,
    /// max_seq_len and batch size), else what differs, in a phrase.
    /// </summary>
    public string? Disagreement(KvLayout shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        return shard.BlockSize == BlockSize && shard.MaxSeqLen == MaxSeqLen && shard.MaxBatchSize == MaxBatchSize
            ? null
            : $"KV blocks of {shard.BlockSize} positions, max_seq_len {shard.MaxSeqLen} and batches of {shard.MaxBatchSize}, " +
              $"but the coordinator plans for {BlockSize}, {MaxSeqLen} and {MaxBatchSize}";
    }
}
