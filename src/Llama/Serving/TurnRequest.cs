using Llama.Generation;

namespace Llama.Serving;

/// <summary>
/// One turn of a conversation whose KV cache is <see cref="CacheId"/>: keep its first <see cref="ReuseTokens"/>
/// cached tokens (checked against <see cref="ReuseHash"/>), compute <see cref="NewTokens"/> after them and generate.
/// </summary>
public sealed record TurnRequest(string CacheId, IReadOnlyList<int> NewTokens, GenerationOptions Options)
{
    /// <summary>Cached tokens of <see cref="CacheId"/> to keep (0: none).</summary>
    public int ReuseTokens { get; init; }

    /// <summary><see cref="TokenHash"/> of those tokens; a mismatch fails the turn with <see cref="CacheMissException"/>, changing nothing.</summary>
    public ulong ReuseHash { get; init; }

    /// <summary>
    /// Context shift before reuse: drop <see cref="ShiftCount"/> cached tokens from position <see cref="ShiftFrom"/>
    /// and move the rest down, re-rotating their keys; <see cref="ReuseTokens"/> then counts tokens of the shifted
    /// cache. The moved keys and values still reflect the dropped tokens: an approximation, never shared.
    /// </summary>
    public int ShiftFrom { get; init; }

    public int ShiftCount { get; init; }

    /// <summary>
    /// With <see cref="GenerationOptions.Logprobs"/>: how many of the most likely tokens to report beside each generated
    /// token's log-probability (0 to <see cref="MaxTopLogprobs"/>).
    /// </summary>
    public int TopLogprobs { get; init; }

    /// <summary>Text that ends the turn as soon as the reply contains it; null: only the model's stop tokens and max_gen_len end it.</summary>
    public StopSequences? Stop { get; init; }

    public const int MaxTopLogprobs = 20;
}
