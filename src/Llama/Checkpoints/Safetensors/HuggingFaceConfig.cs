using Llama.Model;

namespace Llama.Checkpoints.Safetensors;

/// <summary>A Hugging Face Llama <c>config.json</c>, mapped onto Meta's <see cref="ModelArgs"/>.</summary>
internal sealed record HuggingFaceConfig(ModelArgs Args, bool TieWordEmbeddings)
{
    public const string FileName = "config.json";

    public static HuggingFaceConfig Read(string path)
    {
        using var json = JsonConfig.Read(path);
        var defaults = new ModelArgs();
        var args = new ModelArgs
        {
            Dim = json.RequiredInt("hidden_size"),
            NLayers = json.RequiredInt("num_hidden_layers"),
            NHeads = json.RequiredInt("num_attention_heads"),
            NKvHeads = json.OptionalInt("num_key_value_heads"),
            VocabSize = json.RequiredInt("vocab_size"),
            ExplicitHiddenDim = json.RequiredInt("intermediate_size"),
            NormEps = json.OptionalDouble("rms_norm_eps") ?? defaults.NormEps,
            RopeTheta = json.OptionalDouble("rope_theta") ?? defaults.RopeTheta,
            TrainedSeqLen = json.OptionalInt("max_position_embeddings"),
        };
        return new HuggingFaceConfig(args, json.OptionalBool("tie_word_embeddings") ?? false);
    }
}
