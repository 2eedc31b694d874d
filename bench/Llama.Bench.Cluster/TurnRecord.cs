namespace Llama.Bench.Cluster;

/// <summary>One completed turn as its client saw it: time to the first text, time of the whole reply, tokens, retries.</summary>
internal sealed record TurnRecord(TimeSpan TimeToFirstToken, TimeSpan Total, int Tokens, int Retries)
{
    /// <summary>Mean time per token after the first; null for a reply of one token.</summary>
    public TimeSpan? PerToken => Tokens > 1 ? (Total - TimeToFirstToken) / (Tokens - 1) : null;
}
