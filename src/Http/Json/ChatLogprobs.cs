namespace LlamaOrleans.Http.Json;

/// <summary>A chat choice's log-probabilities (OpenAI's <c>choices[].logprobs</c>): one entry per reply token.</summary>
public sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content)
{
    public static ChatLogprobs From(IEnumerable<LogprobToken> tokens) =>
        new([.. tokens.Select(t => new ChatTokenLogprob(t.Text, t.Logprob, Ints(t.Bytes),
            [.. t.Top.Select(a => new ChatTopLogprob(a.Text, a.Logprob, Ints(a.Bytes)))]))]);

    private static int[] Ints(byte[] bytes) => [.. bytes.Select(b => (int)b)];
}

/// <summary>
/// A reply token: the text it added, its log-probability, its own UTF-8 bytes (a byte token's byte: combine the bytes of
/// several tokens for a character they spell together), and the most likely tokens at its position.
/// </summary>
public sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);

/// <summary>One of the most likely tokens at a position: the text and bytes it would have added, and its log-probability.</summary>
public sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes);
