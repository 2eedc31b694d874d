namespace Llama.Model;

/// <summary>
/// A model the serving engine drives: a forward over a packed batch whose KV blocks the caller assigns. A single
/// <see cref="Transformer"/>, or a model split across tensor-parallel ranks or pipeline stages (Llama.Parallel)
/// whose pools follow the same block tables.
/// </summary>
public interface IPagedModel
{
    ModelArgs Args { get; }

    int MaxSeqLen { get; }

    /// <summary>Most sequences one forward takes.</summary>
    int MaxBatchSize { get; }

    RotaryEmbedding Rope { get; }

    IKvBlockStore KvCache { get; }

    /// <summary>
    /// Runs the new tokens of each sequence, caching their keys and values in its blocks, and returns the float32
    /// logits of each sequence's last token. Throws <see cref="KvCacheLostException"/> when the KV memory itself was
    /// lost (a rank of a distributed model restarted): every cache must then be recomputed.
    /// </summary>
    float[][] Forward(IReadOnlyList<SequenceInput> batch);
}
