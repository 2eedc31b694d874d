namespace Llama.Model;

/// <summary>
/// What a forward that samples on its device returns: each sequence's next token, and its float32 logits where the
/// step asked for them (null otherwise).
/// </summary>
public sealed record SampledStep(int[] Tokens, float[]?[] Logits);
