using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Parallel;

/// <summary>
/// The weights a rank or stage holds: its layers (or its slices of them), and the embeddings, final norm and output
/// projection where it has them. A tied output is the embedding table itself, freed once.
/// </summary>
internal sealed record ShardWeights(TransformerBlock[] Layers, Tensor? Embeddings, RmsNorm? Norm, Tensor? Output) : IDisposable
{
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
