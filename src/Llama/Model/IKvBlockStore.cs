namespace Llama.Model;

/// <summary>
/// Paged KV memory as the serving engine's cache bookkeeping sees it: how many blocks of how many positions, and
/// the two operations it performs on blocks besides the model's own writes (copy-on-write and context shift).
/// A <see cref="KvBlockPool"/>, or the pools of every rank or stage of a distributed model kept in step.
/// </summary>
public interface IKvBlockStore
{
    int BlockCount { get; }

    int BlockSize { get; }

    /// <summary>Bytes one cached position takes across the whole model.</summary>
    long BytesPerToken { get; }

    /// <summary>Copies one block's keys and values in every layer.</summary>
    void CopyBlock(int source, int target);

    /// <summary>Moves positions [from, from + length) of a sequence to [to, to + length), re-rotating the keys.</summary>
    void Move(IReadOnlyList<int> blocks, int from, int to, int length, RotaryEmbedding rope);
}
