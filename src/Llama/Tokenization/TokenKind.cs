namespace Llama.Tokenization;

/// <summary>How a vocabulary entry decodes, as SentencePiece's piece types.</summary>
internal enum TokenKind : byte
{
    /// <summary>Text; its space symbols become spaces.</summary>
    Normal,

    /// <summary>The unknown token; decodes to the unknown surface.</summary>
    Unknown,

    /// <summary>BOS, EOS and the like; decodes to nothing.</summary>
    Control,

    /// <summary>One raw byte of UTF-8 (byte fallback).</summary>
    Byte,
}
