namespace LlamaOrleans;

/// <summary>Where a rank or stage of a model stands on a silo configured with it.</summary>
[GenerateSerializer]
[Alias("llama.ShardState")]
public enum ShardState
{
    Loading,
    Loaded,
    Failed,
}
