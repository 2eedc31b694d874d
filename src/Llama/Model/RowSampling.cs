namespace Llama.Model;

/// <summary>
/// How one sequence of a step picks its next token on the device: argmax at temperature 0, else Meta's top-p with
/// <paramref name="Draw"/>, the uniform number in [0, 1) the CPU sampler would have drawn from the turn's seeded
/// generator, so a seed picks the same token on either side. <paramref name="KeepLogits"/> also returns the row's
/// float32 logits (for log-probabilities).
/// </summary>
public readonly record struct RowSampling(float Temperature, float TopP, double Draw, bool KeepLogits);
