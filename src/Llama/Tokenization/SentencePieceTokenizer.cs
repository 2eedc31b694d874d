using Google.Protobuf;

namespace Llama.Tokenization;

/// <summary>
/// Meta's tokenizer: a SentencePiece BPE model (<c>tokenizer.model</c>). Encoding and decoding follow
/// SentencePiece's own rules rather than Microsoft.ML.Tokenizers' <c>LlamaTokenizer</c> (2.0.1), which is
/// not exact for Llama 2: it merges runs of one letter in another order ("aaaa…"), gives no BOS for
/// empty text, drops spaces after byte tokens and decodes invalid bytes and &lt;unk&gt; differently.
/// </summary>
public sealed class SentencePieceTokenizer : ITokenizer
{
    private const char SpaceSymbol = '\u2581';

    private readonly TokenTable table;
    private readonly BpeEncoder encoder;

    private SentencePieceTokenizer(TokenTable table, BpeEncoder encoder, int bosId, int eosId, int padId)
    {
        this.table = table;
        this.encoder = encoder;
        BosId = bosId;
        EosId = eosId;
        PadId = padId;
    }

    public int VocabSize => table.Count;

    public int BosId { get; }

    public int EosId { get; }

    public int PadId { get; }

    /// <summary>Loads a SentencePiece model file.</summary>
    /// <exception cref="TokenizerException">The file is missing, empty, not a SentencePiece model, or a kind this engine does not support.</exception>
    public static SentencePieceTokenizer Load(string path) => FromBytes(TokenizerFile.ReadAll(path), path);

    internal static SentencePieceTokenizer FromBytes(byte[] data, string path)
    {
        SentencePieceModel model;
        try
        {
            model = SentencePieceModel.Parse(data);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or FormatException)
        {
            throw new TokenizerException($"Tokenizer file '{path}' is not a valid SentencePiece model (truncated or corrupt protobuf): {e.Message}", e);
        }

        CheckSupported(model, path);

        // As SentencePieceProcessor::bos_id() and friends: the id of the named piece if it is a control piece, else -1.
        static int ControlId(string[] texts, TokenKind[] kinds, string name)
        {
            var id = Array.IndexOf(texts, name);
            return id >= 0 && kinds[id] == TokenKind.Control ? id : -1;
        }

        return Build(model.Pieces, model.ByteFallback, model.UnknownSurface, model.EscapeWhitespaces, model.AddDummyPrefix, path,
            (texts, kinds) => (ControlId(texts, kinds, model.BosPiece), ControlId(texts, kinds, model.EosPiece), ControlId(texts, kinds, model.PadPiece)));
    }

    /// <summary>
    /// A Llama tokenizer from a vocabulary held elsewhere (a GGUF file's <c>tokenizer.ggml.*</c>): pieces, scores and
    /// SentencePiece piece types, with byte fallback as Llama's, and the special ids as given.
    /// </summary>
    internal static SentencePieceTokenizer FromVocabulary(
        IReadOnlyList<(string Piece, float Score, SentencePieceModel.PieceType Type)> pieces, int bosId, int eosId, int padId, string path)
    {
        if (pieces.Count == 0)
        {
            throw new TokenizerException($"The vocabulary of '{path}' has no pieces.");
        }

        var byteFallback = pieces.Any(p => p.Type == SentencePieceModel.PieceType.Byte);
        return Build(pieces, byteFallback, TokenTable.DefaultUnknownSurface, escapeWhitespaces: true, addDummyPrefix: true, path,
            (_, _) => (bosId, eosId, padId));
    }

    private static SentencePieceTokenizer Build(
        IReadOnlyList<(string Piece, float Score, SentencePieceModel.PieceType Type)> pieces,
        bool byteFallback,
        string unknownSurface,
        bool escapeWhitespaces,
        bool addDummyPrefix,
        string path,
        Func<string[], TokenKind[], (int Bos, int Eos, int Pad)> specialIds)
    {
        var count = pieces.Count;
        var texts = new string[count];
        var kinds = new TokenKind[count];
        var scores = new float[count];
        var mergeable = new Dictionary<string, int>(count, StringComparer.Ordinal);
        var byteIds = byteFallback ? new int[256] : null;
        var bytesSeen = 0;
        var unknownId = -1;
        for (var id = 0; id < count; id++)
        {
            var (piece, score, type) = pieces[id];
            texts[id] = piece;
            scores[id] = score;
            switch (type)
            {
                case SentencePieceModel.PieceType.Normal:
                    kinds[id] = TokenKind.Normal;
                    if (piece.Length == 0 || !mergeable.TryAdd(piece, id))
                    {
                        throw new TokenizerException($"Tokenizer file '{path}' is corrupt: piece {id} '{piece}' is empty or repeated.");
                    }

                    break;
                case SentencePieceModel.PieceType.Unknown:
                    kinds[id] = TokenKind.Unknown;
                    unknownId = id;
                    break;
                case SentencePieceModel.PieceType.Control:
                    kinds[id] = TokenKind.Control;
                    break;
                case SentencePieceModel.PieceType.Byte:
                    kinds[id] = TokenKind.Byte;
                    var value = TokenTable.ParseBytePiece(piece)
                        ?? throw new TokenizerException($"Tokenizer file '{path}' is corrupt: byte piece {id} is '{piece}', not <0xHH>.");
                    if (byteIds is not null)
                    {
                        byteIds[value] = id;
                        bytesSeen++;
                    }

                    break;
                default:
                    throw new TokenizerException($"Tokenizer file '{path}' has a piece of type {type} ({id} '{piece}'), which this engine does not support.");
            }
        }

        if (unknownId < 0)
        {
            throw new TokenizerException($"Tokenizer file '{path}' is corrupt: it has no unknown piece.");
        }

        if (byteIds is not null && bytesSeen != 256)
        {
            throw new TokenizerException($"Tokenizer file '{path}' is corrupt: byte fallback is on but it has {bytesSeen} byte pieces, not 256.");
        }

        var table = new TokenTable(texts, kinds, SpaceSymbol, unknownSurface);
        var encoder = new BpeEncoder(
            mergeable,
            scores,
            escapeWhitespaces ? SpaceSymbol : null,
            addDummyPrefix,
            byteIds,
            unknownId);
        var (bos, eos, pad) = specialIds(texts, kinds);
        return new SentencePieceTokenizer(table, encoder, bos, eos, pad);
    }

    public IReadOnlyList<int> Encode(string text, bool bos, bool eos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (bos)
        {
            ids.Add(BosId);
        }

        encoder.Encode(text, ids);
        if (eos)
        {
            ids.Add(EosId);
        }

        return ids;
    }

    public string Decode(IReadOnlyList<int> ids) => SentencePieceDecoding.Decode(table, ids);

    public IncrementalDecoder CreateIncrementalDecoder() => new(table);

    private static void CheckSupported(SentencePieceModel model, string path)
    {
        if (model.Pieces.Count == 0)
        {
            throw new TokenizerException($"Tokenizer file '{path}' is not a valid SentencePiece model: it has no pieces.");
        }

        var problem =
            model.Type != SentencePieceModel.ModelType.Bpe ? $"its model type is {model.Type}, and only BPE (as Llama's) is supported"
            : model.HasCharsMap ? $"it normalizes text with '{model.NormalizerName}', and only the identity normalizer (as Llama's) is supported"
            : model.RemoveExtraWhitespaces ? "it removes extra whitespace, which Llama's does not and this engine does not support"
            : model.TreatWhitespaceAsSuffix ? "it treats whitespace as a suffix, which Llama's does not and this engine does not support"
            : null;
        if (problem is not null)
        {
            throw new TokenizerException($"Tokenizer file '{path}' is a SentencePiece model this engine does not support: {problem}.");
        }
    }
}
