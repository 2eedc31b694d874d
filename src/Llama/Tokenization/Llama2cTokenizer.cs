using System.Buffers.Binary;
using System.Text;

namespace Llama.Tokenization;

/// <summary>
/// llama2.c's <c>tokenizer.bin</c>: an int32 <c>max_token_length</c>, then for every token a float32
/// score, an int32 byte length and the UTF-8 bytes of its piece (spaces as plain spaces). As llama2.c's
/// export of a SentencePiece model: 0 is &lt;unk&gt;, 1 BOS, 2 EOS, 3…258 the byte tokens &lt;0x00&gt;…&lt;0xFF&gt;.
/// Encoding is llama2.c's (dummy-prefix space, characters looked up, bytes + 3 for unknown characters,
/// highest-score merges). Decoding follows SentencePiece, as <see cref="ITokenizer.Decode"/> promises:
/// llama2.c drops the leading space of a piece that follows BOS, SentencePiece that of the first visible
/// piece, which is the same thing for the sequences llama2.c decodes (prompt first, BOS first).
/// </summary>
public sealed class Llama2cTokenizer : ITokenizer
{
    /// <summary>llama2.c's fixed id of the beginning-of-sequence token.</summary>
    public const int Bos = 1;

    /// <summary>llama2.c's fixed id of the end-of-sequence token.</summary>
    public const int Eos = 2;

    private const int UnknownId = 0;
    private const int FirstByteId = 3;
    private const int HeaderSize = sizeof(int);
    private const int RecordHeaderSize = sizeof(float) + sizeof(int);

    private readonly TokenTable table;
    private readonly BpeEncoder encoder;

    private Llama2cTokenizer(TokenTable table, BpeEncoder encoder)
    {
        this.table = table;
        this.encoder = encoder;
    }

    public int VocabSize => table.Count;

    public int BosId => Bos;

    public int EosId => Eos;

    public int PadId => -1;

    /// <summary>Loads a llama2.c <c>tokenizer.bin</c>.</summary>
    /// <exception cref="TokenizerException">The file is missing, empty, truncated or corrupt.</exception>
    public static Llama2cTokenizer Load(string path) => FromBytes(TokenizerFile.ReadAll(path), path);

    /// <summary>Whether <paramref name="data"/> starts as a llama2.c tokenizer does: a small positive max_token_length, then a first record whose length fits it.</summary>
    internal static bool LooksLikeLlama2c(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderSize)
        {
            return false;
        }

        var maxLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (maxLength is <= 0 or > 4096)
        {
            return false;
        }

        if (data.Length < HeaderSize + RecordHeaderSize)
        {
            return true;
        }

        var firstLength = BinaryPrimitives.ReadInt32LittleEndian(data[(HeaderSize + sizeof(float))..]);
        return firstLength > 0 && firstLength <= maxLength;
    }

    internal static Llama2cTokenizer FromBytes(byte[] data, string path)
    {
        string Corrupt(string what) => $"Tokenizer file '{path}' is not a valid llama2.c tokenizer: {what}.";

        if (data.Length < HeaderSize)
        {
            throw new TokenizerException(Corrupt($"it has {data.Length} bytes, fewer than the 4-byte header"));
        }

        var maxLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (maxLength <= 0)
        {
            throw new TokenizerException(Corrupt($"max_token_length is {maxLength}"));
        }

        var pieces = new List<string>();
        var scores = new List<float>();
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        for (var offset = HeaderSize; offset < data.Length;)
        {
            var id = pieces.Count;
            if (data.Length - offset < RecordHeaderSize)
            {
                throw new TokenizerException(Corrupt($"it is truncated: token {id} at byte {offset} has {data.Length - offset} of its 8 header bytes"));
            }

            var score = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(offset));
            var length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset + sizeof(float)));
            offset += RecordHeaderSize;
            if (length <= 0 || length > maxLength)
            {
                throw new TokenizerException(Corrupt($"token {id} has length {length}, outside [1, max_token_length {maxLength}]"));
            }

            if (data.Length - offset < length)
            {
                throw new TokenizerException(Corrupt($"it is truncated: token {id} needs {length} bytes at byte {offset}, but {data.Length - offset} remain"));
            }

            if (!float.IsFinite(score))
            {
                throw new TokenizerException(Corrupt($"token {id} has score {score}"));
            }

            try
            {
                pieces.Add(utf8.GetString(data, offset, length));
            }
            catch (DecoderFallbackException)
            {
                throw new TokenizerException(Corrupt($"token {id} is not valid UTF-8"));
            }

            scores.Add(score);
            offset += length;
        }

        return Build(pieces, [.. scores], path);
    }

    public IReadOnlyList<int> Encode(string text, bool bos, bool eos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (bos)
        {
            ids.Add(Bos);
        }

        encoder.Encode(text, ids);
        if (eos)
        {
            ids.Add(Eos);
        }

        return ids;
    }

    public string Decode(IReadOnlyList<int> ids) => SentencePieceDecoding.Decode(table, ids);

    public IncrementalDecoder CreateIncrementalDecoder() => new(table);

    private static Llama2cTokenizer Build(List<string> pieces, float[] scores, string path)
    {
        const int bytesEnd = FirstByteId + 256;
        if (pieces.Count < bytesEnd)
        {
            throw new TokenizerException(
                $"Tokenizer file '{path}' is not a valid llama2.c tokenizer: it has {pieces.Count} tokens, fewer than <unk>, <s>, </s> and the 256 byte tokens.");
        }

        var kinds = new TokenKind[pieces.Count];
        var byteIds = new int[256];
        var lookup = new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        for (var id = 0; id < pieces.Count; id++)
        {
            kinds[id] = id switch
            {
                UnknownId => TokenKind.Unknown,
                Bos or Eos => TokenKind.Control,
                < bytesEnd => TokenKind.Byte,
                _ => TokenKind.Normal,
            };

            if (kinds[id] == TokenKind.Byte)
            {
                var expected = id - FirstByteId;
                if (TokenTable.ParseBytePiece(pieces[id]) != expected)
                {
                    throw new TokenizerException(
                        $"Tokenizer file '{path}' is not a valid llama2.c tokenizer: token {id} should be the byte token <0x{expected:X2}> but is '{pieces[id]}'.");
                }

                byteIds[expected] = id;
            }

            // llama2.c looks characters and merges up among all pieces; the first of equal pieces wins.
            lookup.TryAdd(pieces[id], id);
        }

        var table = new TokenTable(pieces, kinds, ' ', TokenTable.DefaultUnknownSurface);
        var encoder = new BpeEncoder(lookup, scores, spaceEscape: null, addDummyPrefix: true, byteIds, UnknownId);
        return new Llama2cTokenizer(table, encoder);
    }
}
