using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Llama.Tokenization;

namespace Llama.Tests.Tokenization;

public sealed class TokenizerLoaderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("llama-tokenizer-tests-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Detects_a_SentencePiece_model_by_content()
    {
        var tokenizer = TokenizerLoader.Load(TestData.Llama2Tokenizer);
        Assert.IsType<SentencePieceTokenizer>(tokenizer);
        Assert.Equal(32000, tokenizer.VocabSize);
    }

    [Fact]
    public void Detects_llama2c_tokenizers_by_content_whatever_their_name()
    {
        Assert.IsType<Llama2cTokenizer>(TokenizerLoader.Load(TestData.Tok512));
        var renamed = Write("tokenizer.model", File.ReadAllBytes(TestData.Path("models/llama2-tokenizer.bin")));
        var tokenizer = TokenizerLoader.Load(renamed);
        Assert.IsType<Llama2cTokenizer>(tokenizer);
        Assert.Equal(32000, tokenizer.VocabSize);
    }

    [Fact]
    public void Missing_file_is_reported_with_its_path()
    {
        var path = Path.Combine(directory, "absent.model");
        var error = Assert.Throws<TokenizerException>(() => TokenizerLoader.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
        Assert.IsType<FileNotFoundException>(error.InnerException);
    }

    [Fact]
    public void A_directory_is_not_a_tokenizer()
    {
        var error = Assert.Throws<TokenizerException>(() => TokenizerLoader.Load(directory));
        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_file_is_reported_as_empty()
    {
        var path = Write("empty.bin", []);
        AssertFails(() => TokenizerLoader.Load(path), path, "is empty");
        AssertFails(() => Llama2cTokenizer.Load(path), path, "is empty");
        AssertFails(() => SentencePieceTokenizer.Load(path), path, "is empty");
    }

    [Fact]
    public void Garbage_is_neither_kind()
    {
        var path = Write("garbage.bin", Encoding.ASCII.GetBytes("this is not a tokenizer at all"));
        AssertFails(() => TokenizerLoader.Load(path), path, "neither a SentencePiece model nor a llama2.c tokenizer.bin");
    }

    [Fact]
    public void Garbage_opened_as_SentencePiece_is_reported_as_corrupt()
    {
        var path = Write("garbage.model", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01, 0x02]);
        AssertFails(() => TokenizerLoader.Load(path), path, "not a valid SentencePiece model");
        AssertFails(() => SentencePieceTokenizer.Load(path), path, "not a valid SentencePiece model");
    }

    [Fact]
    public void Truncated_SentencePiece_model_is_reported_as_corrupt()
    {
        var path = Write("truncated.model", File.ReadAllBytes(TestData.Llama2Tokenizer)[..250_000]);
        AssertFails(() => TokenizerLoader.Load(path), path, "truncated or corrupt protobuf");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    [InlineData(13)]
    [InlineData(3000)]
    [InlineData(6226)]
    public void Truncated_llama2c_tokenizer_is_reported_as_truncated(int length)
    {
        var path = Write("truncated.bin", File.ReadAllBytes(TestData.Tok512)[..length]);
        var error = Assert.Throws<TokenizerException>(() => Llama2cTokenizer.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a valid llama2.c tokenizer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_llama2c_tokenizer_names_the_token_cut_short()
    {
        var path = Write("truncated.bin", File.ReadAllBytes(TestData.Tok512)[..3000]);
        AssertFails(() => TokenizerLoader.Load(path), path, "it is truncated: token");
    }

    [Fact]
    public void Llama2c_token_longer_than_the_declared_maximum_is_corrupt()
    {
        var data = File.ReadAllBytes(TestData.Tok512);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4 + 4), 200);
        var path = Write("long.bin", data);
        AssertFails(() => Llama2cTokenizer.Load(path), path, "token 0 has length 200");
    }

    [Fact]
    public void Llama2c_tokenizer_without_the_byte_tokens_is_rejected()
    {
        var path = Write("tiny.bin", Llama2cFile(["<unk>", "\n<s>\n", "\n</s>\n", "a", "b"]));
        AssertFails(() => TokenizerLoader.Load(path), path, "fewer than <unk>, <s>, </s> and the 256 byte tokens");
    }

    [Fact]
    public void Llama2c_tokenizer_with_misplaced_byte_tokens_is_rejected()
    {
        string[] pieces = ["<unk>", "\n<s>\n", "\n</s>\n", .. Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"), " a"];
        (pieces[10], pieces[11]) = (pieces[11], pieces[10]);
        var path = Write("swapped.bin", Llama2cFile(pieces));
        AssertFails(() => Llama2cTokenizer.Load(path), path, "token 10 should be the byte token <0x07>");
    }

    [Fact]
    public void Minimal_llama2c_tokenizer_encodes_with_merges_and_byte_fallback()
    {
        string[] pieces = ["<unk>", "\n<s>\n", "\n</s>\n", .. Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"), " ", "a", "b", "ab", " ab"];
        var path = Write("minimal.bin", Llama2cFile(pieces));
        var tokenizer = TokenizerLoader.Load(path);
        Assert.Equal(264, tokenizer.VocabSize);

        // " abc": " " "a" "b" merge to " ab"; 'c' is not a piece, so it is byte 0x63 + 3.
        Assert.Equal([1, 263, 0x63 + 3, 2], tokenizer.Encode("abc", bos: true, eos: true));
        Assert.Equal("abc", tokenizer.Decode([1, 263, 0x63 + 3, 2]));
    }

    [Fact]
    public void SentencePiece_model_of_an_unsupported_type_is_rejected()
    {
        var path = Write("unigram.model", SentencePieceFile(modelType: 1));
        AssertFails(() => TokenizerLoader.Load(path), path, "model type is Unigram");
    }

    [Fact]
    public void SentencePiece_model_with_field_of_wrong_wire_type_is_corrupt()
    {
        // Field 1 (pieces) as a varint instead of a message.
        var path = Write("wire.model", [0x0A, 0x00, 0x08, 0x01]);
        AssertFails(() => SentencePieceTokenizer.Load(path), path, "not a valid SentencePiece model");
    }

    [Fact]
    public void Minimal_SentencePiece_model_encodes_like_SentencePiece()
    {
        var path = Write("bpe.model", SentencePieceFile(modelType: 2));
        var tokenizer = TokenizerLoader.Load(path);
        Assert.IsType<SentencePieceTokenizer>(tokenizer);
        Assert.Equal((1, 2, -1), (tokenizer.BosId, tokenizer.EosId, tokenizer.PadId));

        // "▁ab": "▁a" (score -1) beats "ab" (score -2); then "▁ab" is no piece, so "▁a" "b". 'c' is not a piece: byte fallback.
        Assert.Equal([1, 259, 263, 0x63 + 3], tokenizer.Encode("abc", bos: true, eos: false));
        Assert.Equal("abc", tokenizer.Decode([1, 259, 263, 0x63 + 3]));
    }

    private static void AssertFails(Action load, string path, string what)
    {
        var error = Assert.Throws<TokenizerException>(load);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(what, error.Message, StringComparison.Ordinal);
    }

    private static byte[] Llama2cFile(IReadOnlyList<string> pieces)
    {
        var bytes = pieces.Select(Encoding.UTF8.GetBytes).ToList();
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write(bytes.Max(b => b.Length));
        for (var i = 0; i < bytes.Count; i++)
        {
            writer.Write(-(float)i);
            writer.Write(bytes[i].Length);
            writer.Write(bytes[i]);
        }

        writer.Flush();
        return stream.ToArray();
    }

    /// <summary>
    /// A SentencePiece ModelProto written field by field: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte pieces,
    /// then "▁a" (-1), "ab" (-2), "▁" (-3), "a" (-4), "b" (-5); byte fallback on, Llama's normalizer settings.
    /// </summary>
    private static byte[] SentencePieceFile(int modelType)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        void Piece(string text, float score, int type)
        {
            using var piece = new MemoryStream();
            var p = new CodedOutputStream(piece);
            p.WriteTag(1, WireFormat.WireType.LengthDelimited);
            p.WriteString(text);
            p.WriteTag(2, WireFormat.WireType.Fixed32);
            p.WriteFloat(score);
            p.WriteTag(3, WireFormat.WireType.Varint);
            p.WriteEnum(type);
            p.Flush();
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(piece.ToArray()));
        }

        Piece("<unk>", 0, 2);
        Piece("<s>", 0, 3);
        Piece("</s>", 0, 3);
        for (var b = 0; b < 256; b++)
        {
            Piece($"<0x{b:X2}>", 0, 6);
        }

        string[] normal = ["\u2581a", "ab", "\u2581", "a", "b"];
        for (var i = 0; i < normal.Length; i++)
        {
            Piece(normal[i], -(i + 1), 1);
        }

        using var trainer = new MemoryStream();
        var t = new CodedOutputStream(trainer);
        t.WriteTag(3, WireFormat.WireType.Varint);
        t.WriteEnum(modelType);
        t.WriteTag(35, WireFormat.WireType.Varint);
        t.WriteBool(true);
        t.Flush();
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(trainer.ToArray()));

        using var normalizer = new MemoryStream();
        var n = new CodedOutputStream(normalizer);
        n.WriteTag(1, WireFormat.WireType.LengthDelimited);
        n.WriteString("identity");
        n.WriteTag(4, WireFormat.WireType.Varint);
        n.WriteBool(false);
        n.Flush();
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(normalizer.ToArray()));
        output.Flush();
        return stream.ToArray();
    }

    private string Write(string name, byte[] data)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, data);
        return path;
    }
}
