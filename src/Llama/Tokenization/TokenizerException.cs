namespace Llama.Tokenization;

/// <summary>A tokenizer file that cannot be used: missing, empty, truncated, corrupt or of an unsupported kind.</summary>
public sealed class TokenizerException : Exception
{
    public TokenizerException(string message)
        : base(message)
    {
    }

    public TokenizerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
