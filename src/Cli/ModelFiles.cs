namespace Llama.Cli;

/// <summary>Finds the tokenizer that ships beside a model when none is named.</summary>
internal static class ModelFiles
{
    public static string FindTokenizer(string modelPath)
    {
        // A GGUF model carries its vocabulary: the model file is its own tokenizer.
        if (File.Exists(modelPath) && modelPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            return modelPath;
        }

        var folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        foreach (var name in new[] { "tokenizer.model", "tokenizer.bin" })
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new UsageException($"--tokenizer is required: no tokenizer.model or tokenizer.bin beside {modelPath}");
    }
}
