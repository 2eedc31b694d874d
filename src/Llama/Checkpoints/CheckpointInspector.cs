using Llama.Checkpoints.Pth;
using Llama.Checkpoints.Safetensors;
using Llama.Checkpoints.Storage;

namespace Llama.Checkpoints;

/// <summary>
/// Describes a checkpoint without loading its weights: format, architecture, size, tokenizer, and every
/// inconsistency between its tensors and its architecture numbers (which <see cref="CheckpointLoader.Open"/>
/// would refuse). Files that cannot be read at all still throw <see cref="CheckpointException"/>.
/// </summary>
public static class CheckpointInspector
{
    private static readonly string[] TokenizerNames = ["tokenizer.model", "tokenizer.bin"];

    public static CheckpointReport Inspect(string path)
    {
        var location = CheckpointLoader.Locate(path);
        return location.Format switch
        {
            CheckpointFormat.MetaPth => InspectMeta(location.Path),
            CheckpointFormat.Safetensors => InspectHuggingFace(location.Path),
            CheckpointFormat.Llama2c => InspectLlama2c(location.Path),
            CheckpointFormat.Gguf => InspectGguf(location.Path),
            _ => throw new CheckpointException($"Unknown checkpoint format {location.Format}."),
        };
    }

    private static CheckpointReport InspectMeta(string folder)
    {
        using var checkpoint = MetaCheckpoint.OpenUnchecked(folder);
        return Report(checkpoint, MetaParams.FileName, checkpoint.ShardPaths);
    }

    private static CheckpointReport InspectHuggingFace(string folder)
    {
        using var checkpoint = HuggingFaceCheckpoint.OpenUnchecked(folder);
        return Report(checkpoint, HuggingFaceConfig.FileName, checkpoint.FilePaths);
    }

    private static CheckpointReport InspectLlama2c(string file)
    {
        using var checkpoint = Llama2cCheckpoint.Open(file);
        return Report(checkpoint, "the .bin header", [file]);
    }

    private static CheckpointReport InspectGguf(string file)
    {
        using var checkpoint = GgufCheckpoint.OpenUnchecked(file);
        return Report(checkpoint, "the GGUF metadata", [file]) with
        {
            TokenizerPath = $"{file} (its own vocabulary, {checkpoint.Tokenizer.VocabSize} tokens)",
            WeightTypes = string.Join(", ", checkpoint.WeightTypes),
            FormatVersion = (int)checkpoint.Version,
        };
    }

    private static CheckpointReport Report(ICheckpoint checkpoint, string argsSource, IReadOnlyList<string> files)
    {
        // A tied classifier is the embedding table: its parameters count once.
        var counted = checkpoint.TensorNames.Where(n => !(checkpoint.TiedEmbeddings && n == TensorNames.Output));
        return new CheckpointReport(
            checkpoint.Path,
            checkpoint.Format,
            checkpoint.Args,
            counted.Sum(n => Shapes.ElementCount(checkpoint.Shape(n))),
            checkpoint.TensorNames.Count,
            checkpoint.StoredType,
            files.Count,
            files,
            files.Sum(f => new FileInfo(f).Length),
            FindTokenizer(checkpoint.Path),
            CheckpointConsistency.Check(checkpoint, argsSource));
    }

    /// <summary>Meta's downloads keep tokenizer.model one level above the model folder; others keep it beside.</summary>
    private static string? FindTokenizer(string checkpointPath)
    {
        var folder = Directory.Exists(checkpointPath) ? checkpointPath : Path.GetDirectoryName(checkpointPath);
        var candidates = new[] { folder, Path.GetDirectoryName(folder) }
            .Where(f => !string.IsNullOrEmpty(f))
            .SelectMany(f => TokenizerNames.Select(name => Path.Combine(f!, name)));
        return candidates.FirstOrDefault(File.Exists);
    }
}
