namespace LlamaOrleans.Http.Options;

/// <summary>A tenant's quota; null means unlimited.</summary>
public sealed class QuotaOptions
{
    /// <summary>Prompt plus completion tokens the tenant may use per UTC day, over all its keys and models.</summary>
    public long? DailyTokens { get; set; }
}
