using System.Globalization;
using Llama.Model;

namespace LlamaOrleans.Grains;

/// <summary>
/// A model of seeded random weights instead of a checkpoint (<c>Llama:Models:N:Random</c>): a Llama-2-7B-shape model to
/// serve and time on a GPU without a 13 GB file to move. The weights are drawn on the model's device (normal, std 0.02;
/// norms 1), so the same shape, seed, device and precision give the same weights, and greedy replies, every time.
/// </summary>
public sealed class RandomModelOptions
{
    /// <summary>
    /// <c>7b</c> (Llama 2 7B: dim 4096, 32 layers, 32 heads, hidden 11008, vocab 32000), <c>110m</c> (llama2.c's
    /// stories110M: dim 768, 12 layers, 12 heads, hidden 2048, vocab 32000) or empty: the numbers below, which also
    /// override a preset's.
    /// </summary>
    public string? Shape { get; set; }

    public int? Dim { get; set; }

    public int? Layers { get; set; }

    public int? Heads { get; set; }

    /// <summary>Key/value heads (grouped-query attention); unset, one per head.</summary>
    public int? KvHeads { get; set; }

    /// <summary>Feed-forward hidden size; unset, Meta's rule from <see cref="Dim"/>.</summary>
    public int? HiddenDim { get; set; }

    /// <summary>Vocabulary size; unset (and no preset), the tokenizer's. It must equal the tokenizer's.</summary>
    public int? VocabSize { get; set; }

    /// <summary>Seed of the device's generator the weights are drawn from.</summary>
    public ulong Seed { get; set; }

    private static readonly Dictionary<string, ModelArgs> Presets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["7b"] = new() { Dim = 4096, NLayers = 32, NHeads = 32, VocabSize = 32000, ExplicitHiddenDim = 11008 },
        ["110m"] = new() { Dim = 768, NLayers = 12, NHeads = 12, VocabSize = 32000, ExplicitHiddenDim = 2048 },
    };

    /// <summary>What is wrong with these options, each naming its key under <paramref name="key"/>; empty when nothing.</summary>
    public IReadOnlyList<string> Problems(string key)
    {
        if (!string.IsNullOrEmpty(Shape) && !Presets.ContainsKey(Shape))
        {
            return [$"{key}:Shape is '{Shape}'; it must be 7b, 110m or empty (with Dim, Layers and Heads given)."];
        }

        if (string.IsNullOrEmpty(Shape) && (Dim is null || Layers is null || Heads is null))
        {
            return [$"{key}: without a Shape, Dim, Layers and Heads must all be given."];
        }

        try
        {
            // The vocabulary is checked against the tokenizer's when the model loads.
            Args(VocabSize ?? 1).Validate();
            return [];
        }
        catch (ArgumentException e)
        {
            return [$"{key}: {e.Message}"];
        }
    }

    /// <summary>The model's shape; <paramref name="tokenizerVocab"/> is its vocabulary unless a preset or <see cref="VocabSize"/> says.</summary>
    public ModelArgs Args(int tokenizerVocab)
    {
        var args = string.IsNullOrEmpty(Shape) ? new ModelArgs { VocabSize = tokenizerVocab }
            : Presets.TryGetValue(Shape, out var preset) ? preset
            : throw new ArgumentException($"Random model shape '{Shape}' is not 7b or 110m.");
        return args with
        {
            Dim = Dim ?? args.Dim,
            NLayers = Layers ?? args.NLayers,
            NHeads = Heads ?? args.NHeads,
            NKvHeads = KvHeads ?? args.NKvHeads,
            ExplicitHiddenDim = HiddenDim ?? args.ExplicitHiddenDim,
            VocabSize = VocabSize ?? args.VocabSize,
        };
    }

    /// <summary>How the startup log names the model's source.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"random weights, shape {(string.IsNullOrEmpty(Shape) ? "explicit" : Shape)}, seed {Seed}");
}
