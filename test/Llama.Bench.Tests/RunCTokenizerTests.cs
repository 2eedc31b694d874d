using System.Text;
using System.Text.Json;

namespace Llama.Bench.Tests;

public class RunCTokenizerTests
{
    public static TheoryData<string, int[]> GreedyPrompts()
    {
        // Prompt ids of the independent reference (SentencePiece semantics, confirmed against run.c).
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("reference/greedy.json")));
        var data = new TheoryData<string, int[]>();
        foreach (var item in json.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(
                item.GetProperty("prompt").GetString()!,
                [.. item.GetProperty("prompt_ids").EnumerateArray().Select(id => id.GetInt32())]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GreedyPrompts))]
    public void Encodes_reference_prompts_with_tok512_like_the_reference(string prompt, int[] expected)
    {
        var tokenizer = RunCTokenizer.Load(TestData.Tok512, 512);

        Assert.Equal(expected, tokenizer.Encode(prompt));
    }

    [Fact]
    public void Falls_back_to_byte_tokens_for_a_code_point_missing_from_the_vocabulary()
    {
        using var folder = new TempFolder();
        var path = folder.File("tokenizer.bin");
        WriteTokenizer(path, SyntheticVocabulary());
        var tokenizer = RunCTokenizer.Load(path, SyntheticVocabulary().Count);

        // "é" is not a piece, so it becomes its UTF-8 bytes C3 A9 as ids byte + 3, after BOS and the dummy " ".
        Assert.Equal([1, 262, 0xC3 + 3, 0xA9 + 3], tokenizer.Encode("é"));
    }

    [Fact]
    public void Merges_until_no_adjacent_pair_is_a_piece()
    {
        using var folder = new TempFolder();
        var path = folder.File("tokenizer.bin");
        WriteTokenizer(path, SyntheticVocabulary());
        var tokenizer = RunCTokenizer.Load(path, SyntheticVocabulary().Count);

        // " " a b: "ab" (5) beats " a" (2); then " " + "ab" makes " ab".
        Assert.Equal([1, 265], tokenizer.Encode("ab"));
    }

    [Fact]
    public void Merges_the_highest_scoring_pair_first()
    {
        using var folder = new TempFolder();
        var path = folder.File("tokenizer.bin");
        var vocabulary = SyntheticVocabulary();
        vocabulary.Add(("bc", 7f));
        WriteTokenizer(path, vocabulary);
        var tokenizer = RunCTokenizer.Load(path, vocabulary.Count);

        // " " a b c: "bc" (7) beats "ab" (5), leaving " " a bc; then " a" (2). Left to right would give " ab" c.
        Assert.Equal([1, 263, 266], tokenizer.Encode("abc"));
    }

    [Fact]
    public void Reports_a_tokenizer_file_shorter_than_the_model_vocabulary()
    {
        var error = Assert.Throws<BenchException>(() => RunCTokenizer.Load(TestData.Tok512, 32000));

        Assert.Contains("32000", error.Message, StringComparison.Ordinal);
    }

    // ids 0-2 specials, 3-258 byte pieces <0x00>-<0xFF>, then 259 "a", 260 "b", 261 "c", 262 " ", 263 " a", 264 "ab", 265 " ab".
    private static List<(string Piece, float Score)> SyntheticVocabulary()
    {
        var vocabulary = new List<(string, float)> { ("<unk>", 0f), ("<s>", 0f), ("</s>", 0f) };
        vocabulary.AddRange(Enumerable.Range(0, 256).Select(b => ($"<0x{b:X2}>", 0f)));
        vocabulary.AddRange([("a", -1f), ("b", -1f), ("c", -1f), (" ", -1f), (" a", 2f), ("ab", 5f), (" ab", 6f)]);
        return vocabulary;
    }

    private static void WriteTokenizer(string path, List<(string Piece, float Score)> vocabulary)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(vocabulary.Max(v => Encoding.UTF8.GetByteCount(v.Piece)));
        foreach (var (piece, score) in vocabulary)
        {
            var bytes = Encoding.UTF8.GetBytes(piece);
            writer.Write(score);
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
    }
}
