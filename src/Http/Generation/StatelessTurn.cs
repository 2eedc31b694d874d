namespace LlamaOrleans.Http.Generation;

/// <summary>
/// A stateless request fitted to its model's context by <see cref="StatelessGenerator.Fit"/>: the prompt, and the
/// most tokens its reply may have, which the generator trusts.
/// </summary>
public sealed record StatelessTurn(string Model, IReadOnlyList<int> Prompt, int MaxReplyTokens, Sampling Sampling)
{
    /// <summary>The most tokens the request may spend: its prompt and its reply, which the context bounds.</summary>
    public long MaxTokens => (long)Prompt.Count + MaxReplyTokens;
}
