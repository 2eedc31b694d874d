namespace Llama.Generation;

/// <summary>
/// One sequence's result, as Meta's generate returns it: the new tokens (after the prompt unless echoed),
/// cut before the first stop token, and their log-probabilities when asked for.
/// </summary>
public sealed record GeneratedSequence(
    IReadOnlyList<int> Tokens,
    IReadOnlyList<float>? Logprobs,
    FinishReason FinishReason,
    int PromptTokens,
    int GeneratedTokens);
