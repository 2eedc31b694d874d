using Llama.Tokenization;

namespace Llama.Tests.Tokenization;

public class Llama2cTokenizerTests
{
    private const string Greedy = "greedy.json";
    private const string Meta = "llama2-tokenizer.json";
    private const string Extra = "sentencepiece-extra.json";

    public static TheoryData<int> GreedyCases => ReferenceJson.Indices(Greedy, "cases");

    public static TheoryData<int> MetaCases => ReferenceJson.Indices(Meta, "cases");

    public static TheoryData<int> ExtraEncodeCases => ReferenceJson.Indices(Extra, "encode");

    [Fact]
    public void Tok512_has_llama2c_special_ids_and_no_pad()
    {
        var tokenizer = Tokenizers.Tok512;
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal(-1, tokenizer.PadId);
    }

    [Theory]
    [MemberData(nameof(GreedyCases))]
    public void Tok512_encodes_greedy_prompts_as_llama2c(int index)
    {
        var c = ReferenceJson.Case(Greedy, "cases", index);
        Assert.Equal(c.GetProperty("prompt_ids").Ids(), Tokenizers.Tok512.Encode(c.Text("prompt"), bos: true, eos: false));
    }

    [Theory]
    [MemberData(nameof(GreedyCases))]
    public void Tok512_decodes_greedy_generations_to_the_text_llama2c_printed(int index)
    {
        // run.c prints each new token after the prompt's last one: the prompt is the decoding context.
        var c = ReferenceJson.Case(Greedy, "cases", index);
        var prompt = c.GetProperty("prompt_ids").Ids();
        int[] all = [.. prompt, .. c.GetProperty("generated_ids").Ids()];
        var tokenizer = Tokenizers.Tok512;
        Assert.Equal(tokenizer.Decode(prompt) + c.Text("text"), tokenizer.Decode(all));
    }

    [Fact]
    public void Tok512_round_trips_text_outside_its_vocabulary_through_byte_fallback()
    {
        var tokenizer = Tokenizers.Tok512;
        const string text = "Ünïcödé 日本 🦙 end";
        var ids = tokenizer.Encode(text, bos: true, eos: true);
        Assert.Contains(ids, id => id is >= 3 and < 259);
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    [Fact]
    public void Llama2_export_has_the_same_vocabulary_and_ids_as_the_SentencePiece_model()
    {
        var bin = Tokenizers.Llama2Bin;
        var meta = ReferenceJson.Load(Meta);
        Assert.Equal(meta.GetProperty("n_words").GetInt32(), bin.VocabSize);
        Assert.Equal(meta.GetProperty("bos_id").GetInt32(), bin.BosId);
        Assert.Equal(meta.GetProperty("eos_id").GetInt32(), bin.EosId);
        Assert.Equal(meta.GetProperty("pad_id").GetInt32(), bin.PadId);
    }

    [Theory]
    [MemberData(nameof(MetaCases))]
    public void Llama2_export_encodes_and_decodes_Meta_reference_cases_alike(int index)
    {
        var c = ReferenceJson.Case(Meta, "cases", index);
        var ids = Tokenizers.Llama2Bin.Encode(c.Text("text"), c.GetProperty("bos").GetBoolean(), c.GetProperty("eos").GetBoolean());
        Assert.Equal(c.GetProperty("ids").Ids(), ids);
        Assert.Equal(c.Text("decoded"), Tokenizers.Llama2Bin.Decode(ids));
    }

    [Theory]
    [MemberData(nameof(ExtraEncodeCases))]
    public void Llama2_export_encodes_SentencePiece_edge_cases_alike_except_the_space_symbol(int index)
    {
        var c = ReferenceJson.Case(Extra, "encode", index);
        var text = c.Text("text");
        var ids = Tokenizers.Llama2Bin.Encode(text, bos: false, eos: false);
        if (text.Contains('\u2581', StringComparison.Ordinal))
        {
            // SentencePiece reads a literal '▁' as a space; llama2.c's pieces hold plain spaces, so it falls back to bytes.
            Assert.NotEqual(c.GetProperty("ids").Ids(), ids);
            Assert.Equal(text, Tokenizers.Llama2Bin.Decode(ids));
        }
        else
        {
            Assert.Equal(c.GetProperty("ids").Ids(), ids);
        }
    }
}
