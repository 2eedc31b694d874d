using System.Globalization;
using System.Text;
using Llama.Checkpoints.Storage;
using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Checkpoints;

/// <summary>What <see cref="CheckpointInspector"/> found in a checkpoint, printable with <see cref="ToText"/>.</summary>
/// <param name="Path">The file or folder the checkpoint was opened from.</param>
/// <param name="Format">Its on-disk layout.</param>
/// <param name="Args">Architecture numbers; <see cref="ModelArgs.VocabSize"/> -1 means "the tokenizer's".</param>
/// <param name="ParameterCount">Elements of all weight tensors (Hugging Face tied embeddings counted once).</param>
/// <param name="TensorCount">Number of tensors under Meta's names.</param>
/// <param name="StoredType">The element type (most of) the weights are stored in.</param>
/// <param name="ShardCount">Model-parallel shards (Meta) or safetensors files (Hugging Face); 1 for llama2.c.</param>
/// <param name="Files">The weight files.</param>
/// <param name="TotalBytes">Their total size.</param>
/// <param name="TokenizerPath">tokenizer.model or tokenizer.bin found beside the checkpoint (or in its parent folder), if any.</param>
/// <param name="Problems">Inconsistencies between the tensors and the architecture numbers; empty when the checkpoint is sound.</param>
public sealed record CheckpointReport(
    string Path,
    CheckpointFormat Format,
    ModelArgs Args,
    long ParameterCount,
    int TensorCount,
    ScalarType StoredType,
    int ShardCount,
    IReadOnlyList<string> Files,
    long TotalBytes,
    string? TokenizerPath,
    IReadOnlyList<string> Problems)
{
    public bool IsConsistent => Problems.Count == 0;

    /// <summary>GGUF: the block types the weights are stored in (most bytes first), shown instead of <see cref="StoredType"/>.</summary>
    public string? WeightTypes { get; init; }

    /// <summary>GGUF: the file's format version.</summary>
    public int? FormatVersion { get; init; }

    /// <summary>A human-readable, multi-line rendering for the command line.</summary>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var a = Args;
        var text = new StringBuilder();
        void Line(string label, string value) => text.Append(c, $"{label,-13}{value}\n");

        Line("checkpoint", Path);
        Line("format", FormatName());
        Line("stored as", WeightTypes ?? StoredTypes.Name(StoredType));
        Line("files", string.Create(c, $"{Files.Count} ({TotalBytes:N0} bytes, {Size(TotalBytes)})"));
        Line("parameters", string.Create(c, $"{ParameterCount:N0} ({Count(ParameterCount)}) in {TensorCount} tensors"));
        Line("dim", a.Dim.ToString(c));
        Line("layers", a.NLayers.ToString(c));
        Line("heads", string.Create(c, $"{a.NHeads} query, {a.KvHeads} key/value, head dim {(a.NHeads > 0 ? a.HeadDim : 0)}"));
        Line("ffn hidden", a.ExplicitHiddenDim is { } h
            ? h.ToString(c)
            : string.Create(c, $"{SafeHiddenDim(a)} (multiple_of {a.MultipleOf}{(a.FfnDimMultiplier is { } m ? string.Create(c, $", ffn_dim_multiplier {m}") : "")})"));
        Line("vocab", a.VocabSize > 0 ? a.VocabSize.ToString(c) : "from the tokenizer (-1)");
        Line("norm eps", a.NormEps.ToString("g", c));
        Line("rope theta", a.RopeTheta.ToString("g", c));
        Line("context", a.TrainedSeqLen is { } s ? s.ToString(c) : "not recorded");
        Line("tokenizer", TokenizerPath ?? "none found beside the checkpoint");
        if (IsConsistent)
        {
            Line("problems", "none");
        }
        else
        {
            Line("problems", Problems.Count.ToString(c));
            foreach (var problem in Problems)
            {
                text.Append(c, $"  - {problem}\n");
            }
        }

        return text.ToString();
    }

    public override string ToString() => ToText();

    private string FormatName() => Format switch
    {
        CheckpointFormat.MetaPth => string.Create(CultureInfo.InvariantCulture, $"Meta .pth, {ShardCount} model-parallel shard{(ShardCount == 1 ? "" : "s")}"),
        CheckpointFormat.Safetensors => string.Create(CultureInfo.InvariantCulture, $"Hugging Face safetensors, {ShardCount} file{(ShardCount == 1 ? "" : "s")}"),
        CheckpointFormat.Llama2c => "llama2.c .bin",
        CheckpointFormat.Gguf => string.Create(CultureInfo.InvariantCulture, $"GGUF version {FormatVersion}"),
        _ => Format.ToString(),
    };

    private static int SafeHiddenDim(ModelArgs args) => args.Dim > 0 ? args.HiddenDim : 0;

    private static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    private static string Count(long n) => n switch
    {
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{n / 1e9:0.##}B"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{n / 1e6:0.##}M"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{n / 1e3:0.##}K"),
        _ => n.ToString(CultureInfo.InvariantCulture),
    };
}
