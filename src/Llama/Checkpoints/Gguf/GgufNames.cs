using System.Globalization;
using System.Text.RegularExpressions;

namespace Llama.Checkpoints.Gguf;

/// <summary>llama.cpp's tensor names mapped onto Meta's (<see cref="TensorNames"/>).</summary>
internal static partial class GgufNames
{
    /// <summary>Meta's name of a llama.cpp tensor; null for tensors the engine recomputes (rotary frequencies).</summary>
    public static string? ToMeta(string name)
    {
        switch (name)
        {
            case "token_embd.weight":
                return TensorNames.TokEmbeddings;
            case "output_norm.weight":
                return TensorNames.Norm;
            case "output.weight":
                return TensorNames.Output;
            case "rope_freqs.weight":
                return null;
        }

        var match = LayerName().Match(name);
        if (!match.Success)
        {
            return name;
        }

        var layer = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "attn_norm" => TensorNames.AttentionNorm(layer),
            "attn_q" => TensorNames.Wq(layer),
            "attn_k" => TensorNames.Wk(layer),
            "attn_v" => TensorNames.Wv(layer),
            "attn_output" => TensorNames.Wo(layer),
            "ffn_norm" => TensorNames.FfnNorm(layer),
            "ffn_gate" => TensorNames.W1(layer),
            "ffn_down" => TensorNames.W2(layer),
            "ffn_up" => TensorNames.W3(layer),
            "attn_rot_embd" => null,
            _ => name,
        };
    }

    /// <summary>llama.cpp's name of a Meta tensor, as its converter writes it.</summary>
    public static string FromMeta(string name)
    {
        switch (name)
        {
            case TensorNames.TokEmbeddings:
                return "token_embd.weight";
            case TensorNames.Norm:
                return "output_norm.weight";
            case TensorNames.Output:
                return "output.weight";
        }

        var match = MetaLayerName().Match(name);
        if (!match.Success)
        {
            throw new ArgumentException($"'{name}' is not one of Meta's tensor names.", nameof(name));
        }

        var part = match.Groups[2].Value switch
        {
            "attention_norm" => "attn_norm",
            "attention.wq" => "attn_q",
            "attention.wk" => "attn_k",
            "attention.wv" => "attn_v",
            "attention.wo" => "attn_output",
            "ffn_norm" => "ffn_norm",
            "feed_forward.w1" => "ffn_gate",
            "feed_forward.w2" => "ffn_down",
            "feed_forward.w3" => "ffn_up",
            var other => throw new ArgumentException($"'{name}' is not one of Meta's tensor names ({other}).", nameof(name)),
        };
        return $"blk.{match.Groups[1].Value}.{part}.weight";
    }

    [GeneratedRegex(@"^blk\.(\d{1,6})\.([a-z_]+)\.weight$")]
    private static partial Regex LayerName();

    [GeneratedRegex(@"^layers\.(\d{1,6})\.([a-z_.0-9]+)\.weight$")]
    private static partial Regex MetaLayerName();
}
