namespace LlamaOrleans.Http.Generation;

/// <summary>Checked sampling settings of a request; <see cref="MaxReplyTokens"/> is the request's <c>max_tokens</c>.</summary>
public sealed record Sampling(float Temperature, float TopP, int? MaxReplyTokens, ulong? Seed, IReadOnlyList<string> Stop)
{
    /// <summary>Null: no log-probabilities; else return each token's, with this many of the most likely tokens at each step.</summary>
    public int? TopLogprobs { get; init; }

    /// <summary>Meta's default temperature.</summary>
    public const double DefaultTemperature = 0.6;

    /// <summary>Meta's default top_p.</summary>
    public const double DefaultTopP = 0.9;
}
