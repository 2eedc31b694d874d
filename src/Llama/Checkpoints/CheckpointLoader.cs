using Llama.Checkpoints.Gguf;
using Llama.Checkpoints.Pth;
using Llama.Checkpoints.Safetensors;

namespace Llama.Checkpoints;

/// <summary>Opens a checkpoint of any supported format, recognised from a file or folder path.</summary>
public static class CheckpointLoader
{
    /// <summary>Opens the checkpoint at <paramref name="path"/>, checked against its architecture numbers.</summary>
    public static ICheckpoint Open(string path)
    {
        var location = Locate(path);
        return location.Format switch
        {
            CheckpointFormat.MetaPth => MetaCheckpoint.Open(location.Path),
            CheckpointFormat.Safetensors => HuggingFaceCheckpoint.Open(location.Path),
            CheckpointFormat.Llama2c => Llama2cCheckpoint.Open(location.Path),
            CheckpointFormat.Gguf => GgufCheckpoint.Open(location.Path),
            _ => throw new CheckpointException($"Unknown checkpoint format {location.Format}."),
        };
    }

    /// <summary>
    /// Recognises the checkpoint at <paramref name="path"/>: a folder with params.json and
    /// consolidated.NN.pth (Meta), with config.json and *.safetensors (Hugging Face), or with exactly one
    /// llama2.c <c>.bin</c> model, or with exactly one GGUF model; or a file of one of these.
    /// </summary>
    public static CheckpointLocation Locate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            return LocateFile(Path.GetFullPath(path));
        }

        if (!Directory.Exists(path))
        {
            throw new CheckpointException($"No checkpoint at {path}: no such file or folder.");
        }

        var folder = Path.GetFullPath(path);
        if (File.Exists(Path.Combine(folder, MetaParams.FileName)) && MetaShardFiles.Any(folder))
        {
            return new(CheckpointFormat.MetaPth, folder);
        }

        if (File.Exists(Path.Combine(folder, HuggingFaceConfig.FileName)) &&
            Directory.EnumerateFiles(folder, "*.safetensors").Any())
        {
            return new(CheckpointFormat.Safetensors, folder);
        }

        var ggufs = Directory.EnumerateFiles(folder, "*.gguf").Order(StringComparer.Ordinal).ToList();
        if (ggufs.Count == 1)
        {
            return new(CheckpointFormat.Gguf, ggufs[0]);
        }

        var models = Directory.EnumerateFiles(folder, "*.bin").Where(IsLlama2cModelName).Order(StringComparer.Ordinal).ToList();
        if (models.Count == 1)
        {
            return new(CheckpointFormat.Llama2c, models[0]);
        }

        var found = Directory.EnumerateFileSystemEntries(folder)
            .Select(e => Path.GetFileName(e) + (Directory.Exists(e) ? "/" : ""))
            .Order(StringComparer.Ordinal)
            .ToList();
        var several = models.Count > 1
            ? $" It holds several llama2.c models ({string.Join(", ", models.Select(Path.GetFileName))}); name one."
            : ggufs.Count > 1
            ? $" It holds several GGUF models ({string.Join(", ", ggufs.Select(Path.GetFileName))}); name one."
            : "";
        throw new CheckpointException(
            $"No checkpoint recognised in {folder}: expected params.json with consolidated.NN.pth (Meta), " +
            $"config.json with *.safetensors (Hugging Face), one llama2.c .bin model or one .gguf model.{several} " +
            $"Found: {(found.Count == 0 ? "nothing" : string.Join(", ", found))}.");
    }

    private static CheckpointLocation LocateFile(string file)
    {
        var name = Path.GetFileName(file);
        var folder = Path.GetDirectoryName(file)!;
        if (name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || GgufFile.HasMagic(file))
        {
            return new(CheckpointFormat.Gguf, file);
        }

        if (name.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            return new(CheckpointFormat.Llama2c, file);
        }

        if (name.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || name == MetaParams.FileName)
        {
            return new(CheckpointFormat.MetaPth, folder);
        }

        if (name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ||
            name is HuggingFaceConfig.FileName or SafetensorsIndex.FileName)
        {
            return new(CheckpointFormat.Safetensors, folder);
        }

        throw new CheckpointException(
            $"{file} is not a checkpoint file: expected a llama2.c .bin, a Meta .pth or params.json, " +
            "a Hugging Face .safetensors, config.json or index, or a .gguf.");
    }

    /// <summary>
    /// llama2.c folders keep their tokenizer beside the model as a .bin too (tokenizer.bin, tok512.bin);
    /// Hugging Face's pickled pytorch_model*.bin is not a llama2.c file either.
    /// </summary>
    private static bool IsLlama2cModelName(string path)
    {
        var name = Path.GetFileName(path);
        return !name.StartsWith("tok", StringComparison.OrdinalIgnoreCase) &&
               !name.StartsWith("pytorch_model", StringComparison.OrdinalIgnoreCase);
    }
}
