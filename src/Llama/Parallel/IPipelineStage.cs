namespace Llama.Parallel;

/// <summary>
/// One stage of a pipeline-parallel model: consecutive layers, with the embeddings on the first stage and the final
/// norm and output projection on the last. Activations pass from stage to stage.
/// </summary>
public interface IPipelineStage
{
    /// <summary>
    /// Runs the stage's layers: from the tokens on the first stage (<paramref name="hidden"/> null), else from the
    /// previous stage's activations [rows, dim]. Returns activations [rows, dim], or on the last stage the logits of
    /// each sequence's last row [sequences, vocab].
    /// </summary>
    Task<ShardOutput> ForwardAsync(ShardStep step, float[]? hidden);
}
