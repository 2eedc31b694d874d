namespace Llama.Model;

/// <summary>The checks every forward over a packed batch makes before touching its KV pool.</summary>
internal static class BatchValidation
{
    /// <summary>Throws <see cref="ArgumentException"/> for a batch a forward cannot run: too large, too long, blocks missing or out of the pool, two sequences writing one position, unknown tokens.</summary>
    public static void Check(IReadOnlyList<SequenceInput> batch, int maxBatchSize, int maxSeqLen, KvBlockPool cache, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            throw new ArgumentException("The batch is empty.", nameof(batch));
        }

        if (batch.Count > maxBatchSize)
        {
            throw new ArgumentException($"Batch of {batch.Count} sequences exceeds max_batch_size {maxBatchSize}.", nameof(batch));
        }

        var written = new HashSet<long>();
        foreach (var seq in batch)
        {
            if (seq.Tokens.Count == 0)
            {
                throw new ArgumentException("A sequence in the batch has no tokens.", nameof(batch));
            }

            if (seq.StartPos < 0 || seq.StartPos + seq.Tokens.Count > maxSeqLen)
            {
                throw new ArgumentException(
                    $"Sequence of {seq.StartPos + seq.Tokens.Count} tokens exceeds max_seq_len {maxSeqLen}.", nameof(batch));
            }

            var needed = (seq.EndPos + cache.BlockSize - 1) / cache.BlockSize;
            if (seq.Blocks is null || seq.Blocks.Count < needed)
            {
                throw new ArgumentException(
                    $"A sequence of {seq.EndPos} positions needs {needed} KV blocks, but its block table has {seq.Blocks?.Count ?? 0}.", nameof(batch));
            }

            for (var i = 0; i < needed; i++)
            {
                if (seq.Blocks[i] < 0 || seq.Blocks[i] >= cache.BlockCount)
                {
                    throw new ArgumentException($"KV block {seq.Blocks[i]} is outside 0..{cache.BlockCount - 1}.", nameof(batch));
                }
            }

            for (var pos = seq.StartPos; pos < seq.EndPos; pos++)
            {
                if (!written.Add(cache.Row(seq.Blocks, pos)))
                {
                    throw new ArgumentException("Two sequences in one batch write the same KV cache position.", nameof(batch));
                }
            }

            foreach (var token in seq.Tokens)
            {
                if (token < 0 || token >= vocabSize)
                {
                    throw new ArgumentException($"Token id {token} is outside the vocabulary of {vocabSize}.", nameof(batch));
                }
            }
        }
    }
}
