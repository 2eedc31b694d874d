using Llama.Chat;

namespace Llama.Generation;

/// <summary>
/// One result of <see cref="LlamaGenerator.ChatCompletion"/>, as Meta's ChatPrediction: the assistant's
/// message and, when logprobs were asked for, each token's text and log-probability.
/// </summary>
public sealed record ChatPrediction(
    Message Generation,
    IReadOnlyList<string>? Tokens,
    IReadOnlyList<float>? Logprobs,
    IReadOnlyList<int> TokenIds,
    FinishReason FinishReason);
