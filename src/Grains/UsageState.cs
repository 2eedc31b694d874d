namespace LlamaOrleans.Grains;

/// <summary>What a tenant's usage grain persists: its counters by day, key and model.</summary>
[GenerateSerializer]
[Alias("llama.UsageState")]
public sealed class UsageState
{
    [Id(0)]
    public List<UsageRecord> Records { get; set; } = [];
}
