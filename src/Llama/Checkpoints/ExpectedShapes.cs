using Llama.Model;

namespace Llama.Checkpoints;

/// <summary>The tensors a model of given <see cref="ModelArgs"/> has, with their shapes, under Meta's names.</summary>
internal static class ExpectedShapes
{
    /// <summary>Stands for the vocabulary size in a shape while params.json leaves it to the tokenizer (-1).</summary>
    public const long AnyVocab = -1;

    /// <summary>
    /// The shapes of the tensors outside the layers and of those in <paramref name="layers"/>: a configuration may
    /// claim any number of layers, so callers name the ones worth listing rather than all of them.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> For(ModelArgs args, IEnumerable<int> layers)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(layers);
        long dim = args.Dim;
        long kvDim = (long)args.KvHeads * args.HeadDim;
        long hidden = args.HiddenDim;
        long vocab = args.VocabSize > 0 ? args.VocabSize : AnyVocab;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            [TensorNames.TokEmbeddings] = [vocab, dim],
        };
        foreach (var layer in layers)
        {
            shapes[TensorNames.Wq(layer)] = [dim, dim];
            shapes[TensorNames.Wk(layer)] = [kvDim, dim];
            shapes[TensorNames.Wv(layer)] = [kvDim, dim];
            shapes[TensorNames.Wo(layer)] = [dim, dim];
            shapes[TensorNames.W1(layer)] = [hidden, dim];
            shapes[TensorNames.W2(layer)] = [dim, hidden];
            shapes[TensorNames.W3(layer)] = [hidden, dim];
            shapes[TensorNames.AttentionNorm(layer)] = [dim];
            shapes[TensorNames.FfnNorm(layer)] = [dim];
        }

        shapes[TensorNames.Norm] = [dim];
        shapes[TensorNames.Output] = [vocab, dim];
        return shapes;
    }
}
