using Llama.Generation;

namespace Llama.Serving;

/// <summary>The end of a turn: the reply and what the conversation's cache holds now.</summary>
public sealed record TurnOutcome(
    IReadOnlyList<int> Tokens,
    FinishReason FinishReason,
    int PrefilledTokens,
    int CachedTokens,
    ulong CachedHash)
{
    /// <summary>One entry per reply token when the turn asked for log-probabilities, else null.</summary>
    public IReadOnlyList<TokenLogprobs>? Logprobs { get; init; }
}
