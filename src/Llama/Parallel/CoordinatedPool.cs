using Llama.Model;

namespace Llama.Parallel;

/// <summary>
/// A shard's KV pool as its coordinator drives it: each step's batch is checked against the pool and its block copies
/// and moves are applied before the forward, and the pool's identity changes when another coordinator takes it over.
/// Not thread-safe: the shard calls it under its own lock.
/// </summary>
internal sealed class CoordinatedPool(KvBlockPool pool, RotaryEmbedding rope, int maxBatchSize, int maxSeqLen, int vocabSize)
{
    private Guid _coordinator;

    /// <summary>
    /// Changes when the pool is created and when another coordinator starts driving it: a coordinator that sees a new
    /// identity knows its caches are gone (or were overwritten).
    /// </summary>
    public Guid Id { get; private set; } = Guid.NewGuid();

    /// <summary>Takes <paramref name="step"/>'s batch and KV operations; call it without autograd.</summary>
    public void Begin(ShardStep step)
    {
        BatchValidation.Check(step.Batch, maxBatchSize, maxSeqLen, pool, vocabSize);
        if (step.Coordinator != _coordinator)
        {
            Id = _coordinator == Guid.Empty ? Id : Guid.NewGuid();
            _coordinator = step.Coordinator;
        }

        foreach (var operation in step.Operations)
        {
            operation.Apply(pool, rope);
        }
    }
}
