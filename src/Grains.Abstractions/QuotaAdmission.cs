namespace LlamaOrleans;

/// <summary>
/// The answer to a request for quota: whether its tokens were reserved (under <see cref="Reservation"/>, to release
/// once its usage is recorded), and the day's tokens used and held by other running requests when it was asked.
/// </summary>
[GenerateSerializer]
[Alias("llama.QuotaAdmission")]
public sealed record QuotaAdmission
{
    [Id(0)]
    public bool Admitted { get; init; }

    /// <summary>The reservation to release; empty when not admitted.</summary>
    [Id(1)]
    public Guid Reservation { get; init; }

    [Id(2)]
    public long Used { get; init; }

    /// <summary>Tokens reserved by requests running now, across the cluster (this one's not included).</summary>
    [Id(3)]
    public long Reserved { get; init; }
}
