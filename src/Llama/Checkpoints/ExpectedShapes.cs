using Llama.Model;

namespace Llama.Checkpoints;

/// <summary>The tensors a model of given <see cref="ModelArgs"/> has, with their shapes, under Meta's names.</summary>
internal static class ExpectedShapes
{
    /// <summary>Stands for the vocabulary size in a shape while params.json leaves it to the tokenizer (-1).</summary>
    public const long AnyVocab = -1;

    public static IReadOnlyDictionary<string, long[]> For(ModelArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        long dim = args.Dim;
        long kvDim = (long)args.KvHeads * args.HeadDim;
        long hidden = args.HiddenDim;
        long vocab = args.VocabSize > 0 ? args.VocabSize : AnyVocab;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            [TensorNames.TokEmbeddings] = [vocab, dim],
        };
        for (var layer = 0; layer < args.NLayers; layer++)
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
