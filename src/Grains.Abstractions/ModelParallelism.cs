namespace LlamaOrleans;

/// <summary>How a model is split across silos.</summary>
[GenerateSerializer]
[Alias("llama.ModelParallelism")]
public enum ModelParallelism
{
    /// <summary>Each hosting silo loads the whole model and serves conversations on its own.</summary>
    None,

    /// <summary>Meta's model-parallel shards on different silos, combined layer by layer (all-reduce per layer).</summary>
    Tensor,

    /// <summary>Consecutive layer ranges on different silos, activations passed from stage to stage.</summary>
    Pipeline,
}
