namespace LlamaOrleans;

/// <summary>A silo's whole models and the ranks (or stages) of split models it is configured with.</summary>
[GenerateSerializer]
[Alias("llama.HostedModels")]
public sealed record HostedModels
{
    [Id(0)]
    public required string[] Models { get; init; }

    [Id(1)]
    public required ShardOffer[] Shards { get; init; }
}
