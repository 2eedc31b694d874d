namespace Llama.Generation;

/// <summary>
/// One result of <see cref="LlamaGenerator.TextCompletion"/>, as Meta's CompletionPrediction:
/// the generated text and, when logprobs were asked for, each token's text and log-probability.
/// </summary>
public sealed record CompletionPrediction(
    string Generation,
    IReadOnlyList<string>? Tokens,
    IReadOnlyList<float>? Logprobs,
    IReadOnlyList<int> TokenIds,
    FinishReason FinishReason);
