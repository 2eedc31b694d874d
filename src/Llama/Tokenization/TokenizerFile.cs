namespace Llama.Tokenization;

/// <summary>Reads a whole tokenizer file, turning file-system failures into <see cref="TokenizerException"/>s that name the path.</summary>
internal static class TokenizerFile
{
    public static byte[] ReadAll(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
        {
            throw new TokenizerException($"Tokenizer path '{path}' is a directory, not a tokenizer file.");
        }

        if (!File.Exists(path))
        {
            throw new TokenizerException($"Tokenizer file '{path}' was not found.", new FileNotFoundException(null, path));
        }

        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"Tokenizer file '{path}' could not be read: {e.Message}", e);
        }

        if (data.Length == 0)
        {
            throw new TokenizerException($"Tokenizer file '{path}' is empty.");
        }

        return data;
    }
}
