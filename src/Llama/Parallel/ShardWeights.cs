using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Parallel;

/// <summary>
/// The weights a rank or stage holds: its layers (or its slices of them), and the embeddings, final norm and output
/// projection where it has them. A tied output is the embedding table itself, freed once.
/// </summary>
internal sealed record ShardWeights(TransformerBlock[] Layers, Tensor? Embeddings, RmsNorm? Norm, Tensor? Output) : IDisposable
{
    /// <summary>The final norm and output projection of <paramref name="rows"/>: logits, or this rank's slice of them.</summary>
    public Tensor Logits(Tensor rows)
    {
        using var normed = Norm!.Forward(rows);
        return nn.functional.linear(normed, Output!);
    }

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }

        Norm?.Dispose();
        if (Output is not null && !ReferenceEquals(Output, Embeddings))
        {
            Output.Dispose();
        }

        Embeddings?.Dispose();
    }
}
