using Google.Protobuf;

namespace Llama.Tokenization;

/// <summary>
/// The parts of a SentencePiece <c>ModelProto</c> (sentencepiece_model.proto) that encoding and decoding
/// need, read with Google.Protobuf's wire reader. Absent fields take the schema's defaults.
/// </summary>
internal sealed class SentencePieceModel
{
    public enum PieceType
    {
        Normal = 1,
        Unknown = 2,
        Control = 3,
        UserDefined = 4,
        Unused = 5,
        Byte = 6,
    }

    public enum ModelType
    {
        Unigram = 1,
        Bpe = 2,
        Word = 3,
        Char = 4,
    }

    public List<(string Piece, float Score, PieceType Type)> Pieces { get; } = [];

    public ModelType Type { get; private set; } = ModelType.Unigram;

    public bool ByteFallback { get; private set; }

    public bool TreatWhitespaceAsSuffix { get; private set; }

    public string UnknownSurface { get; private set; } = TokenTable.DefaultUnknownSurface;

    public string BosPiece { get; private set; } = "<s>";

    public string EosPiece { get; private set; } = "</s>";

    public string PadPiece { get; private set; } = "<pad>";

    public string NormalizerName { get; private set; } = string.Empty;

    public bool HasCharsMap { get; private set; }

    public bool AddDummyPrefix { get; private set; } = true;

    public bool RemoveExtraWhitespaces { get; private set; } = true;

    public bool EscapeWhitespaces { get; private set; } = true;

    /// <summary>Parses a serialized ModelProto.</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a well-formed protobuf.</exception>
    /// <exception cref="FormatException">A known field has the wrong wire type.</exception>
    public static SentencePieceModel Parse(byte[] data)
    {
        var model = new SentencePieceModel();
        var input = new CodedInputStream(data);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    model.Pieces.Add(ReadPiece(Nested(input, tag, "pieces")));
                    break;
                case 2:
                    model.ReadTrainerSpec(Nested(input, tag, "trainer_spec"));
                    break;
                case 3:
                    model.ReadNormalizerSpec(Nested(input, tag, "normalizer_spec"));
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return model;
    }

    private static (string, float, PieceType) ReadPiece(CodedInputStream input)
    {
        var piece = string.Empty;
        var score = 0f;
        var type = PieceType.Normal;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    Expect(tag, WireFormat.WireType.LengthDelimited, "piece");
                    piece = input.ReadString();
                    break;
                case 2:
                    Expect(tag, WireFormat.WireType.Fixed32, "score");
                    score = input.ReadFloat();
                    break;
                case 3:
                    Expect(tag, WireFormat.WireType.Varint, "type");
                    type = (PieceType)input.ReadEnum();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return (piece, score, type);
    }

    private void ReadTrainerSpec(CodedInputStream input)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 3:
                    Expect(tag, WireFormat.WireType.Varint, "model_type");
                    Type = (ModelType)input.ReadEnum();
                    break;
                case 24:
                    Expect(tag, WireFormat.WireType.Varint, "treat_whitespace_as_suffix");
                    TreatWhitespaceAsSuffix = input.ReadBool();
                    break;
                case 35:
                    Expect(tag, WireFormat.WireType.Varint, "byte_fallback");
                    ByteFallback = input.ReadBool();
                    break;
                case 44:
                    UnknownSurface = ReadString(input, tag, "unk_surface");
                    break;
                case 46:
                    BosPiece = ReadString(input, tag, "bos_piece");
                    break;
                case 47:
                    EosPiece = ReadString(input, tag, "eos_piece");
                    break;
                case 48:
                    PadPiece = ReadString(input, tag, "pad_piece");
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
    }

    private void ReadNormalizerSpec(CodedInputStream input)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    NormalizerName = ReadString(input, tag, "name");
                    break;
                case 2:
                    Expect(tag, WireFormat.WireType.LengthDelimited, "precompiled_charsmap");
                    HasCharsMap = !input.ReadBytes().IsEmpty;
                    break;
                case 3:
                    Expect(tag, WireFormat.WireType.Varint, "add_dummy_prefix");
                    AddDummyPrefix = input.ReadBool();
                    break;
                case 4:
                    Expect(tag, WireFormat.WireType.Varint, "remove_extra_whitespaces");
                    RemoveExtraWhitespaces = input.ReadBool();
                    break;
                case 5:
                    Expect(tag, WireFormat.WireType.Varint, "escape_whitespaces");
                    EscapeWhitespaces = input.ReadBool();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
    }

    private static CodedInputStream Nested(CodedInputStream input, uint tag, string field)
    {
        Expect(tag, WireFormat.WireType.LengthDelimited, field);
        return input.ReadBytes().CreateCodedInput();
    }

    private static string ReadString(CodedInputStream input, uint tag, string field)
    {
        Expect(tag, WireFormat.WireType.LengthDelimited, field);
        return input.ReadString();
    }

    private static void Expect(uint tag, WireFormat.WireType wireType, string field)
    {
        if (WireFormat.GetTagWireType(tag) != wireType)
        {
            throw new FormatException($"field '{field}' has wire type {WireFormat.GetTagWireType(tag)}, expected {wireType}");
        }
    }
}
