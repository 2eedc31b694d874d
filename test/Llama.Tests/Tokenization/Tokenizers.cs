using Llama.Tokenization;

namespace Llama.Tests.Tokenization;

/// <summary>The tokenizers under test/data/models, each loaded once for all tests.</summary>
internal static class Tokenizers
{
    private static readonly Lazy<SentencePieceTokenizer> Meta = new(() => SentencePieceTokenizer.Load(TestData.Llama2Tokenizer));
    private static readonly Lazy<Llama2cTokenizer> Llama2c32K = new(() => Llama2cTokenizer.Load(TestData.Path("models/llama2-tokenizer.bin")));
    private static readonly Lazy<Llama2cTokenizer> Tok512Lazy = new(() => Llama2cTokenizer.Load(TestData.Tok512));

    /// <summary>Meta's Llama 2 tokenizer.model.</summary>
    public static SentencePieceTokenizer Llama2 => Meta.Value;

    /// <summary>llama2.c's export of the same vocabulary as tokenizer.bin.</summary>
    public static Llama2cTokenizer Llama2Bin => Llama2c32K.Value;

    /// <summary>The 512-token llama2.c tokenizer of stories260K.</summary>
    public static Llama2cTokenizer Tok512 => Tok512Lazy.Value;
}
