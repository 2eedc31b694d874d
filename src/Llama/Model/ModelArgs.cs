namespace Llama.Model;

/// <summary>
/// Architecture numbers of a Llama model, as Meta's <c>ModelArgs</c> in model.py and <c>params.json</c>.
/// </summary>
public sealed record ModelArgs
{
    public int Dim { get; init; } = 4096;

    public int NLayers { get; init; } = 32;

    public int NHeads { get; init; } = 32;

    /// <summary>Key/value heads for grouped-query attention; null means one per query head.</summary>
    public int? NKvHeads { get; init; }

    /// <summary>Vocabulary size; -1 in params.json means "take the tokenizer's".</summary>
    public int VocabSize { get; init; } = -1;

    public int MultipleOf { get; init; } = 256;

    public double? FfnDimMultiplier { get; init; }

    public double NormEps { get; init; } = 1e-5;

    public double RopeTheta { get; init; } = 10000;

    /// <summary>
    /// The FFN hidden size when a format states it outright (llama2.c, Hugging Face) rather than
    /// deriving it from <see cref="MultipleOf"/> and <see cref="FfnDimMultiplier"/>.
    /// </summary>
    public int? ExplicitHiddenDim { get; init; }

    /// <summary>The context a checkpoint was trained with, where the format records it.</summary>
    public int? TrainedSeqLen { get; init; }

    public int KvHeads => NKvHeads ?? NHeads;

    public int HeadDim => Dim / NHeads;

    /// <summary>FFN hidden size: stated, or Meta's rule in FeedForward.__init__.</summary>
    public int HiddenDim => ExplicitHiddenDim ?? MetaHiddenDim(Dim, MultipleOf, FfnDimMultiplier);

    public static int MetaHiddenDim(int dim, int multipleOf, double? ffnDimMultiplier)
    {
        var hidden = 4 * dim;
        hidden = (int)(2 * hidden / 3.0);
        if (ffnDimMultiplier is { } m)
        {
            hidden = (int)(m * hidden);
        }

        return multipleOf * ((hidden + multipleOf - 1) / multipleOf);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent number.</summary>
    public void Validate()
    {
        Require(Dim > 0, $"dim must be positive, got {Dim}");
        Require(NLayers > 0, $"n_layers must be positive, got {NLayers}");
        Require(NHeads > 0, $"n_heads must be positive, got {NHeads}");
        Require(Dim % NHeads == 0, $"dim {Dim} is not divisible by n_heads {NHeads}");
        Require(HeadDim % 2 == 0, $"head dim {HeadDim} must be even for rotary embeddings");
        Require(KvHeads > 0 && NHeads % KvHeads == 0, $"n_heads {NHeads} is not a multiple of n_kv_heads {KvHeads}");
        Require(VocabSize > 0, $"vocab_size must be positive, got {VocabSize}");
        Require(HiddenDim > 0, $"FFN hidden size must be positive, got {HiddenDim}");
        Require(NormEps > 0, $"norm_eps must be positive, got {NormEps}");
        Require(RopeTheta > 0, $"rope_theta must be positive, got {RopeTheta}");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"Invalid model parameters: {message}.");
        }
    }
}
