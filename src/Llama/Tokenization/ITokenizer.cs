namespace Llama.Tokenization;

/// <summary>
/// A Llama tokenizer with the semantics of Meta's <c>llama/tokenizer.py</c>: SentencePiece encoding
/// with optional BOS/EOS, and SentencePiece decoding. Implementations are immutable and thread-safe.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of tokens in the vocabulary (Meta's <c>n_words</c>).</summary>
    int VocabSize { get; }

    /// <summary>Id of the beginning-of-sequence token.</summary>
    int BosId { get; }

    /// <summary>Id of the end-of-sequence token.</summary>
    int EosId { get; }

    /// <summary>Id of the padding token, or -1 when the vocabulary has none (as Meta's).</summary>
    int PadId { get; }

    /// <summary>
    /// Encodes <paramref name="text"/> as Meta's <c>Tokenizer.encode(s, bos, eos)</c>: the SentencePiece
    /// ids, with <see cref="BosId"/> prepended when <paramref name="bos"/> and <see cref="EosId"/>
    /// appended when <paramref name="eos"/>.
    /// </summary>
    IReadOnlyList<int> Encode(string text, bool bos, bool eos);

    /// <summary>
    /// Decodes ids as SentencePiece does: control tokens are invisible, byte tokens are joined into
    /// UTF-8 (each invalid byte becomes U+FFFD), and the leading space of the first visible piece is dropped.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    string Decode(IReadOnlyList<int> ids);

    /// <summary>Starts a streaming decode whose output, concatenated, equals <see cref="Decode"/>.</summary>
    IncrementalDecoder CreateIncrementalDecoder();
}
