namespace LlamaOrleans;

/// <summary>
/// One tenant's token usage, counted per API key, model and UTC day (the way hosted Llama 2 is priced) and kept in
/// grain storage. Keyed by the tenant's name.
/// </summary>
[Alias("llama.IUsageGrain")]
public interface IUsageGrain : IGrainWithStringKey
{
    /// <summary>Adds one request's tokens to the day's counters of <paramref name="key"/> and <paramref name="model"/>.</summary>
    [Alias("Record")]
    Task Record(string key, string model, DateOnly day, int promptTokens, int completionTokens);

    /// <summary>The counters of the days from <paramref name="from"/> to <paramref name="to"/> (both included), oldest first.</summary>
    [Alias("Get")]
    Task<IReadOnlyList<UsageRecord>> Get(DateOnly from, DateOnly to);

    /// <summary>Prompt and completion tokens of every key and model on <paramref name="day"/>, for quotas.</summary>
    [Alias("TokensOn")]
    Task<long> TokensOn(DateOnly day);

    /// <summary>
    /// Reserves <paramref name="tokens"/> of <paramref name="day"/>'s quota <paramref name="limit"/> for a request about
    /// to run, if the tokens used and reserved are below it. One grain per tenant holds every silo's reservations, so
    /// concurrent requests anywhere in the cluster overshoot the quota by at most one request's reservation. A
    /// reservation not released within <paramref name="lease"/> (its silo died) lapses.
    /// </summary>
    [Alias("Reserve")]
    Task<QuotaAdmission> Reserve(DateOnly day, long limit, long tokens, TimeSpan lease);

    /// <summary>Gives a reservation back once its request's usage is recorded; an unknown or lapsed one is ignored.</summary>
    [Alias("Release")]
    Task Release(Guid reservation);
}
