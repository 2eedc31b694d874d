namespace Llama.Serving;

/// <summary>How a <see cref="ServingEngine"/> batches and queues turns.</summary>
public sealed record ServingOptions
{
    /// <summary>Most sequences in one forward step (capped by the model's max batch size).</summary>
    public int MaxBatchSequences { get; init; } = 64;

    /// <summary>Most prompt tokens computed per step, all sequences together, so long prompts do not stall decoding.</summary>
    public int PrefillChunkTokens { get; init; } = 512;

    /// <summary>
    /// While prompts wait, up to this many steps in a row compute prompts alone, pausing the running turns' decoding:
    /// when many turns arrive together (a burst of users), each gets its first token sooner, the others' next token
    /// comes that much later, but still at least every this many steps plus one. 0 decodes every running turn in every step.
    /// </summary>
    public int PrefillFirstSteps { get; init; }

    /// <summary>Most turns waiting for admission; beyond it <see cref="ServingEngine.RunAsync"/> refuses new ones.</summary>
    public int MaxQueuedRequests { get; init; } = 1024;

    /// <summary>Reuse full KV blocks any cache computed for the same leading tokens; off, a turn computes all it does not keep.</summary>
    public bool PrefixCaching { get; init; } = true;

    public void Validate()
    {
        if (MaxBatchSequences < 1)
        {
            throw new ArgumentException($"MaxBatchSequences must be at least 1, got {MaxBatchSequences}.");
        }

        if (PrefillChunkTokens < 1)
        {
            throw new ArgumentException($"PrefillChunkTokens must be at least 1, got {PrefillChunkTokens}.");
        }

        if (PrefillFirstSteps < 0)
        {
            throw new ArgumentException($"PrefillFirstSteps must be 0 or more, got {PrefillFirstSteps}.");
        }

        if (MaxQueuedRequests < 1)
        {
            throw new ArgumentException($"MaxQueuedRequests must be at least 1, got {MaxQueuedRequests}.");
        }
    }
}
