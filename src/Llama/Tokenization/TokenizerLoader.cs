using Llama.Checkpoints;
using Llama.Checkpoints.Gguf;

namespace Llama.Tokenization;

/// <summary>Opens a tokenizer file of either kind the engine reads, telling them apart by content.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// Loads <paramref name="path"/> as llama2.c's <c>tokenizer.bin</c> when it starts like one, as a GGUF model's own
    /// vocabulary when it is a GGUF file, else as a SentencePiece model (a protobuf whose first field is a piece: byte 0x0A).
    /// </summary>
    /// <exception cref="TokenizerException">The file is missing, empty, of neither kind, truncated or corrupt; the message names the path.</exception>
    public static ITokenizer Load(string path)
    {
        if (File.Exists(path) && GgufFile.HasMagic(path))
        {
            return FromGguf(path);
        }

        var data = TokenizerFile.ReadAll(path);
        if (Llama2cTokenizer.LooksLikeLlama2c(data))
        {
            return Llama2cTokenizer.FromBytes(data, path);
        }

        if (data[0] == SentencePieceFirstByte)
        {
            return SentencePieceTokenizer.FromBytes(data, path);
        }

        throw new TokenizerException(
            $"Tokenizer file '{path}' is neither a SentencePiece model nor a llama2.c tokenizer.bin (it starts with {Convert.ToHexString(data.AsSpan(0, Math.Min(8, data.Length)))}).");
    }

    /// <summary>A GGUF model's own vocabulary: the model file serves as its tokenizer.</summary>
    private static ITokenizer FromGguf(string path)
    {
        try
        {
            using var checkpoint = GgufCheckpoint.OpenUnchecked(path);
            return checkpoint.Tokenizer;
        }
        catch (CheckpointException e)
        {
            throw new TokenizerException($"Tokenizer file '{path}' is a GGUF model whose vocabulary cannot be read: {e.Message}", e);
        }
    }

    // Field 1 (pieces), wire type 2 (length-delimited): how every SentencePiece model begins.
    private const byte SentencePieceFirstByte = 0x0A;
}
