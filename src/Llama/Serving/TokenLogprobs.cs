using Llama.Generation;

namespace Llama.Serving;

/// <summary>A vocabulary entry and its log-probability at one step.</summary>
public readonly record struct TokenLogprob(int Token, float Logprob);

/// <summary>
/// The log-probability of a generated token and the most likely tokens at its step, from the model's raw logits (not
/// scaled by temperature), as Meta's <c>-cross_entropy(logits, token)</c>.
/// </summary>
public sealed record TokenLogprobs(int Token, float Logprob, IReadOnlyList<TokenLogprob> Top)
{
    /// <summary>
    /// log_softmax(<paramref name="logits"/>) at <paramref name="token"/>, and the <paramref name="top"/> most likely
    /// tokens, most likely first (equal logits: lower id first), normalized as <see cref="Sampler.LogProbability"/> is.
    /// </summary>
    public static TokenLogprobs Of(ReadOnlySpan<float> logits, int token, int top)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, logits.Length);
        if ((uint)token >= (uint)logits.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"The token must be in [0, {logits.Length}).");
        }

        var normalizer = Sampler.LogNormalizer.Of(logits);
        var best = Best(logits, top);
        var alternatives = new TokenLogprob[best.Length];
        for (var i = 0; i < best.Length; i++)
        {
            alternatives[i] = new TokenLogprob(best[i], normalizer.LogProbability(logits[best[i]]));
        }

        return new TokenLogprobs(token, normalizer.LogProbability(logits[token]), alternatives);
    }

    /// <summary>The ids of the <paramref name="count"/> largest logits, largest first, by insertion into a short sorted list.</summary>
    private static int[] Best(ReadOnlySpan<float> logits, int count)
    {
        var best = new int[count];
        var filled = 0;
        for (var id = 0; id < logits.Length && count > 0; id++)
        {
            var value = logits[id];
            if (filled == count && value <= logits[best[count - 1]])
            {
                continue;
            }

            var at = Math.Min(filled, count - 1);
            while (at > 0 && value > logits[best[at - 1]])
            {
                best[at] = best[at - 1];
                at--;
            }

            best[at] = id;
            filled = Math.Min(filled + 1, count);
        }

        return best;
    }
}
