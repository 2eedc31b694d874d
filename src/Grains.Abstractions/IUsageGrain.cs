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
}
