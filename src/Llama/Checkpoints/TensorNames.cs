namespace Llama.Checkpoints;

/// <summary>Meta's state-dict names, the vocabulary every checkpoint reader maps onto.</summary>
public static class TensorNames
{
    public const string TokEmbeddings = "tok_embeddings.weight";
    public const string Norm = "norm.weight";
    public const string Output = "output.weight";

    public static string Wq(int layer) => $"layers.{layer}.attention.wq.weight";

    public static string Wk(int layer) => $"layers.{layer}.attention.wk.weight";

    public static string Wv(int layer) => $"layers.{layer}.attention.wv.weight";

    public static string Wo(int layer) => $"layers.{layer}.attention.wo.weight";

    public static string W1(int layer) => $"layers.{layer}.feed_forward.w1.weight";

    public static string W2(int layer) => $"layers.{layer}.feed_forward.w2.weight";

    public static string W3(int layer) => $"layers.{layer}.feed_forward.w3.weight";

    public static string AttentionNorm(int layer) => $"layers.{layer}.attention_norm.weight";

    public static string FfnNorm(int layer) => $"layers.{layer}.ffn_norm.weight";
}
