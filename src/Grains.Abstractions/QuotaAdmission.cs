namespace LlamaOrleans;

/// <summary>
/// The answer to a request for quota: whether its tokens were reserved (under <paramref name="Reservation"/>, to
/// release once its usage is recorded; empty when not admitted), the day's tokens used, and those reserved by requests
/// running now across the cluster (this one's not included).
/// </summary>
[GenerateSerializer]
[Alias("llama.QuotaAdmission")]
public sealed record QuotaAdmission([property: Id(0)] bool Admitted, [property: Id(1)] Guid Reservation, [property: Id(2)] long Used, [property: Id(3)] long Reserved);
