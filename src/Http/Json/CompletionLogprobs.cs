namespace LlamaOrleans.Http.Json;

/// <summary>
/// A text completion's log-probabilities in OpenAI's legacy shape: per token its text, log-probability, the most
/// likely tokens at its position with the token itself (so up to <c>logprobs</c> + 1 of them), and where its text
/// starts in the completion.
/// </summary>
public sealed record CompletionLogprobs(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<float> TokenLogprobs,
    IReadOnlyList<Dictionary<string, float>> TopLogprobs,
    IReadOnlyList<int> TextOffset)
{
    /// <summary>The entries of <paramref name="tokens"/>, whose text starts at <paramref name="offset"/> of the completion.</summary>
    public static CompletionLogprobs From(IReadOnlyList<LogprobToken> tokens, int offset)
    {
        var offsets = new int[tokens.Count];
        for (var i = 0; i < tokens.Count; i++)
        {
            offsets[i] = offset;
            offset += tokens[i].Text.Length;
        }

        return new CompletionLogprobs([.. tokens.Select(t => t.Text)], [.. tokens.Select(t => t.Logprob)], [.. tokens.Select(Top)], offsets);
    }

    /// <summary>Texts are keys: of tokens sharing a text, the most likely one's log-probability stays.</summary>
    private static Dictionary<string, float> Top(LogprobToken token)
    {
        var top = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var alternative in token.Top)
        {
            top.TryAdd(alternative.Text, alternative.Logprob);
        }

        top.TryAdd(token.Text, token.Logprob);
        return top;
    }
}
