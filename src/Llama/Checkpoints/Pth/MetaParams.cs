using Llama.Model;

namespace Llama.Checkpoints.Pth;

/// <summary>Meta's params.json, read into <see cref="ModelArgs"/> as Meta's ModelArgs(**params) does.</summary>
internal static class MetaParams
{
    public const string FileName = "params.json";

    public static ModelArgs Read(string path)
    {
        using var json = JsonConfig.Read(path);
        var defaults = new ModelArgs();
        return new ModelArgs
        {
            Dim = json.RequiredInt("dim"),
            NLayers = json.RequiredInt("n_layers"),
            NHeads = json.RequiredInt("n_heads"),
            NKvHeads = json.OptionalInt("n_kv_heads"),
            VocabSize = json.OptionalInt("vocab_size") ?? defaults.VocabSize,
            MultipleOf = json.OptionalInt("multiple_of") ?? defaults.MultipleOf,
            FfnDimMultiplier = json.OptionalDouble("ffn_dim_multiplier"),
            NormEps = json.OptionalDouble("norm_eps") ?? defaults.NormEps,
            RopeTheta = json.OptionalDouble("rope_theta") ?? defaults.RopeTheta,
        };
    }
}
