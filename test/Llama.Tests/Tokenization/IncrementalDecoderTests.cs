using System.Text;
using Llama.Tokenization;

namespace Llama.Tests.Tokenization;

public class IncrementalDecoderTests
{
    public static TheoryData<int> MetaCases => ReferenceJson.Indices("llama2-tokenizer.json", "cases");

    public static TheoryData<int> ExtraEncodeCases => ReferenceJson.Indices("sentencepiece-extra.json", "encode");

    public static TheoryData<int> ExtraDecodeCases => ReferenceJson.Indices("sentencepiece-extra.json", "decode");

    public static TheoryData<int> GreedyCases => ReferenceJson.Indices("greedy.json", "cases");

    public static TheoryData<string> MultiByteTexts =>
    [
        "emoji 🦙🚀 and 👨‍👩‍👧 family",
        "日本語のテキスト",
        "ＦＵＬＬＷＩＤＴＨ",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math",
        "Ελληνικά και Русский",
        "mixed ascii 中文 ok 🎉!",
    ];

    [Theory]
    [MemberData(nameof(MetaCases))]
    public void Streaming_Meta_reference_ids_equals_their_decoding(int index)
    {
        var c = ReferenceJson.Case("llama2-tokenizer.json", "cases", index);
        var ids = c.GetProperty("ids").Ids();
        AssertStreamEqualsDecode(Tokenizers.Llama2, ids, c.Text("decoded"));
        AssertStreamEqualsDecode(Tokenizers.Llama2Bin, ids, c.Text("decoded"));
    }

    [Theory]
    [MemberData(nameof(ExtraEncodeCases))]
    public void Streaming_encoded_edge_cases_equals_their_decoding(int index)
    {
        var c = ReferenceJson.Case("sentencepiece-extra.json", "encode", index);
        AssertStreamEqualsDecode(Tokenizers.Llama2, c.GetProperty("ids").Ids(), c.Text("decoded"));
    }

    [Theory]
    [MemberData(nameof(ExtraDecodeCases))]
    public void Streaming_invalid_bytes_unknown_and_control_tokens_equals_their_decoding(int index)
    {
        var c = ReferenceJson.Case("sentencepiece-extra.json", "decode", index);
        AssertStreamEqualsDecode(Tokenizers.Llama2, c.GetProperty("ids").Ids(), c.Text("decoded"));
    }

    [Theory]
    [MemberData(nameof(GreedyCases))]
    public void Streaming_a_generation_after_its_prompt_gives_the_text_llama2c_printed(int index)
    {
        var c = ReferenceJson.Case("greedy.json", "cases", index);
        var decoder = Tokenizers.Tok512.CreateIncrementalDecoder();
        foreach (var id in c.GetProperty("prompt_ids").Ids())
        {
            decoder.Add(id);
        }

        var text = new StringBuilder();
        foreach (var id in c.GetProperty("generated_ids").Ids())
        {
            text.Append(decoder.Add(id));
        }

        text.Append(decoder.Flush());
        Assert.Equal(c.Text("text"), text.ToString());
    }

    [Theory]
    [MemberData(nameof(MultiByteTexts))]
    public void Streamed_pieces_of_byte_fallback_text_are_whole_characters(string text)
    {
        // tok512's small vocabulary spells these characters with byte tokens; Llama 2's has many of them whole.
        Assert.Contains(Tokenizers.Tok512.Encode(text, bos: false, eos: false), id => id is >= 3 and < 259);
        foreach (ITokenizer tokenizer in new ITokenizer[] { Tokenizers.Llama2, Tokenizers.Tok512 })
        {
            var ids = tokenizer.Encode(text, bos: true, eos: false);
            var pieces = Stream(tokenizer, ids);
            Assert.All(pieces, piece =>
            {
                Assert.DoesNotContain('\uFFFD', piece);
                Assert.True(IsWellFormed(piece), $"piece {Escape(piece)} splits a surrogate pair");
            });
            Assert.Equal(text, string.Concat(pieces));
        }
    }

    [Fact]
    public void A_multi_byte_character_is_held_back_until_its_last_byte()
    {
        // 🦙 is F0 9F A6 99: byte tokens 243 162 169 156.
        var decoder = Tokenizers.Llama2.CreateIncrementalDecoder();
        Assert.Equal(string.Empty, decoder.Add(1));
        Assert.Equal(string.Empty, decoder.Add(243));
        Assert.Equal(string.Empty, decoder.Add(162));
        Assert.Equal(string.Empty, decoder.Add(169));
        Assert.Equal("🦙", decoder.Add(156));
        Assert.Equal(string.Empty, decoder.Flush());
    }

    [Fact]
    public void An_incomplete_character_is_released_as_replacement_characters_when_the_byte_run_ends()
    {
        var decoder = Tokenizers.Llama2.CreateIncrementalDecoder();
        Assert.Equal(string.Empty, decoder.Add(243));
        Assert.Equal(string.Empty, decoder.Add(162));
        Assert.Equal("\uFFFD\uFFFD leading", decoder.Add(8236));

        var flushed = Tokenizers.Llama2.CreateIncrementalDecoder();
        flushed.Add(243);
        Assert.Equal("\uFFFD", flushed.Flush());
    }

    [Fact]
    public void Only_the_first_visible_pieces_leading_space_is_dropped()
    {
        var decoder = Tokenizers.Llama2.CreateIncrementalDecoder();
        Assert.Equal(string.Empty, decoder.Add(1));
        Assert.Equal("Hello", decoder.Add(15043));
        Assert.Equal(" world", decoder.Add(3186));

        var spaceFirst = Tokenizers.Llama2.CreateIncrementalDecoder();
        Assert.Equal(string.Empty, spaceFirst.Add(29871));
        Assert.Equal(" leading", spaceFirst.Add(8236));
    }

    [Fact]
    public void Peeking_shows_what_a_token_would_add_and_its_own_bytes_without_changing_the_decode()
    {
        var decoder = Tokenizers.Llama2.CreateIncrementalDecoder();
        Assert.Equal(string.Empty, decoder.Peek(1, out var bos));
        Assert.Empty(bos);
        decoder.Add(1);
        // At the start the leading space is dropped, from the text and from the bytes.
        Assert.Equal("Hello", decoder.Peek(15043, out var hello));
        Assert.Equal("Hello"u8.ToArray(), hello);
        Assert.Equal("Hello", decoder.Add(15043, out var surface));
        Assert.Equal("Hello", surface);
        Assert.Equal(" world", decoder.Peek(3186, out var world));
        Assert.Equal(" world"u8.ToArray(), world);

        // 🦙 is F0 9F A6 99: each byte token's bytes are its own; the last one shows the whole character.
        foreach (var (id, b) in new[] { (243, 0xF0), (162, 0x9F), (169, 0xA6) })
        {
            Assert.Equal(string.Empty, decoder.Peek(id, out var bytes));
            Assert.Equal([(byte)b], bytes);
            Assert.Equal(string.Empty, decoder.Add(id));
        }

        Assert.Equal("🦙", decoder.Peek(156, out var last));
        Assert.Equal([(byte)0x99], last);
        // A piece after an unfinished character would end the run: replacement characters, then its text.
        Assert.Equal("\uFFFD\uFFFD\uFFFD world", decoder.Peek(3186, out world));
        Assert.Equal(" world"u8.ToArray(), world);
        Assert.Equal("🦙", decoder.Add(156));
        Assert.Equal(" world", decoder.Add(3186));
        Assert.Equal(string.Empty, decoder.Flush());
    }

    private static void AssertStreamEqualsDecode(ITokenizer tokenizer, int[] ids, string expected)
    {
        Assert.Equal(expected, tokenizer.Decode(ids));
        var pieces = Stream(tokenizer, ids);
        Assert.Equal(expected, string.Concat(pieces));
        Assert.All(pieces, piece => Assert.True(IsWellFormed(piece), $"piece {Escape(piece)} splits a surrogate pair"));
    }

    private static List<string> Stream(ITokenizer tokenizer, IEnumerable<int> ids)
    {
        var decoder = tokenizer.CreateIncrementalDecoder();
        var pieces = ids.Select(decoder.Add).ToList();
        pieces.Add(decoder.Flush());
        return pieces;
    }

    private static bool IsWellFormed(string text) =>
        System.Text.Unicode.Utf8.FromUtf16(text, new byte[text.Length * 3], out _, out _, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done;

    private static string Escape(string text) => string.Concat(text.Select(c => c < 0x80 ? c.ToString() : $"\\u{(int)c:X4}"));
}
