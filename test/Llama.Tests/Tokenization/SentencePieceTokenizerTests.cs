using Llama.Tokenization;

namespace Llama.Tests.Tokenization;

public class SentencePieceTokenizerTests
{
    private const string Reference = "llama2-tokenizer.json";
    private const string Extra = "sentencepiece-extra.json";

    public static TheoryData<int> ReferenceCases => ReferenceJson.Indices(Reference, "cases");

    public static TheoryData<int> ExtraEncodeCases => ReferenceJson.Indices(Extra, "encode");

    public static TheoryData<int> ExtraDecodeCases => ReferenceJson.Indices(Extra, "decode");

    [Fact]
    public void Vocabulary_and_special_ids_match_Meta()
    {
        var reference = ReferenceJson.Load(Reference);
        var tokenizer = Tokenizers.Llama2;
        Assert.Equal(reference.GetProperty("n_words").GetInt32(), tokenizer.VocabSize);
        Assert.Equal(reference.GetProperty("bos_id").GetInt32(), tokenizer.BosId);
        Assert.Equal(reference.GetProperty("eos_id").GetInt32(), tokenizer.EosId);
        Assert.Equal(reference.GetProperty("pad_id").GetInt32(), tokenizer.PadId);
    }

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Encode_matches_Meta_reference(int index)
    {
        var c = ReferenceJson.Case(Reference, "cases", index);
        var ids = Tokenizers.Llama2.Encode(c.Text("text"), c.GetProperty("bos").GetBoolean(), c.GetProperty("eos").GetBoolean());
        Assert.Equal(c.GetProperty("ids").Ids(), ids);
    }

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Decode_matches_Meta_reference(int index)
    {
        var c = ReferenceJson.Case(Reference, "cases", index);
        Assert.Equal(c.Text("decoded"), Tokenizers.Llama2.Decode(c.GetProperty("ids").Ids()));
    }

    [Theory]
    [MemberData(nameof(ExtraEncodeCases))]
    public void Encode_matches_SentencePiece_on_edge_cases(int index)
    {
        var c = ReferenceJson.Case(Extra, "encode", index);
        var ids = Tokenizers.Llama2.Encode(c.Text("text"), bos: false, eos: false);
        Assert.Equal(c.GetProperty("ids").Ids(), ids);
        Assert.Equal(c.Text("decoded"), Tokenizers.Llama2.Decode(ids));
    }

    [Theory]
    [MemberData(nameof(ExtraDecodeCases))]
    public void Decode_matches_SentencePiece_on_byte_unknown_and_control_sequences(int index)
    {
        var c = ReferenceJson.Case(Extra, "decode", index);
        Assert.Equal(c.Text("decoded"), Tokenizers.Llama2.Decode(c.GetProperty("ids").Ids()));
    }

    [Fact]
    public void Lone_surrogates_encode_as_the_replacement_character()
    {
        var tokenizer = Tokenizers.Llama2;
        Assert.Equal(tokenizer.Encode("a\uFFFDb", bos: false, eos: false), tokenizer.Encode("a\uD800b", bos: false, eos: false));
        Assert.Equal(tokenizer.Encode("\uFFFD", bos: false, eos: false), tokenizer.Encode("\uDC00", bos: false, eos: false));
    }

    [Fact]
    public void Long_repetitive_text_encodes_to_whole_pieces()
    {
        // 4,001 letters: "▁a" then 1,000 "aaaa" pieces, the pattern of the 50-letter reference case.
        var ids = Tokenizers.Llama2.Encode(new string('a', 4001), bos: false, eos: false);
        Assert.Equal(1001, ids.Count);
        Assert.Equal(263, ids[0]);
        Assert.All(ids.Skip(1), id => Assert.Equal(27137, id));
    }

    [Fact]
    public void Decode_rejects_ids_outside_the_vocabulary()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizers.Llama2.Decode([1, 32000]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizers.Llama2.Decode([-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizers.Llama2.CreateIncrementalDecoder().Add(32000));
    }

    [Fact]
    public void Encode_and_Decode_reject_null()
    {
        Assert.Throws<ArgumentNullException>(() => Tokenizers.Llama2.Encode(null!, bos: true, eos: false));
        Assert.Throws<ArgumentNullException>(() => Tokenizers.Llama2.Decode(null!));
    }
}
