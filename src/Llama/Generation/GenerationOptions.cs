namespace Llama.Generation;

/// <summary>Sampling and length settings of one generate call, with Meta's defaults.</summary>
public sealed record GenerationOptions
{
    /// <summary>0 picks the most likely token (greedy); otherwise logits are divided by it before top-p sampling.</summary>
    public float Temperature { get; init; } = 0.6f;

    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches this mass.</summary>
    public float TopP { get; init; } = 0.9f;

    /// <summary>Most tokens to generate per sequence; null means max_seq_len - 1, as Meta's.</summary>
    public int? MaxGenLen { get; init; }

    /// <summary>Return the log-probability of each returned token.</summary>
    public bool Logprobs { get; init; }

    /// <summary>Return the prompt tokens ahead of the generated ones.</summary>
    public bool Echo { get; init; }

    /// <summary>Makes sampling reproducible; null draws a fresh seed.</summary>
    public ulong? Seed { get; init; }

    public void Validate()
    {
        if (float.IsNaN(Temperature) || Temperature < 0)
        {
            throw new ArgumentException($"temperature must be 0 or more, got {Temperature}.");
        }

        if (float.IsNaN(TopP) || TopP <= 0 || TopP > 1)
        {
            throw new ArgumentException($"top_p must be in (0, 1], got {TopP}.");
        }

        if (MaxGenLen is < 0)
        {
            throw new ArgumentException($"max_gen_len must be 0 or more, got {MaxGenLen}.");
        }
    }
}
