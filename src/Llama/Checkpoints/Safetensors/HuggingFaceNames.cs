using System.Globalization;
using System.Text.RegularExpressions;
using Llama.Model;

namespace Llama.Checkpoints.Safetensors;

/// <summary>Hugging Face Llama tensor names and their Meta equivalents.</summary>
internal static partial class HuggingFaceNames
{
    public const string Embeddings = "model.embed_tokens.weight";
    public const string LmHead = "lm_head.weight";

    /// <summary>Meta's name for a Hugging Face tensor; null for buffers Meta recomputes (rotary inv_freq) or unknown names.</summary>
    public static string? ToMeta(string name)
    {
        switch (name)
        {
            case Embeddings:
                return TensorNames.TokEmbeddings;
            case "model.norm.weight":
                return TensorNames.Norm;
            case LmHead:
                return TensorNames.Output;
        }

        var match = LayerName().Match(name);
        if (!match.Success)
        {
            return null;
        }

        var layer = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "self_attn.q_proj" => TensorNames.Wq(layer),
            "self_attn.k_proj" => TensorNames.Wk(layer),
            "self_attn.v_proj" => TensorNames.Wv(layer),
            "self_attn.o_proj" => TensorNames.Wo(layer),
            "mlp.gate_proj" => TensorNames.W1(layer),
            "mlp.down_proj" => TensorNames.W2(layer),
            "mlp.up_proj" => TensorNames.W3(layer),
            "input_layernorm" => TensorNames.AttentionNorm(layer),
            "post_attention_layernorm" => TensorNames.FfnNorm(layer),
            _ => null,
        };
    }

    /// <summary>
    /// The head count whose rotary row permutation a tensor carries (query heads for q_proj, key/value
    /// heads for k_proj), or null for tensors the conversion leaves alone.
    /// </summary>
    public static int? RotaryHeads(string name, ModelArgs args)
    {
        var match = LayerName().Match(name);
        return !match.Success ? null : match.Groups[2].Value switch
        {
            "self_attn.q_proj" => args.NHeads,
            "self_attn.k_proj" => args.KvHeads,
            _ => null,
        };
    }

    /// <summary>Buffers some exports include that the model derives itself, skipped like Meta's rope.freqs.</summary>
    public static bool IsDerivedBuffer(string name) => name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);

    [GeneratedRegex(@"^model\.layers\.(\d+)\.(.+)\.weight$")]
    private static partial Regex LayerName();
}
