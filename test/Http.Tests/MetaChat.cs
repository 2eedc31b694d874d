using Llama.Chat;
using Llama.Tokenization;

namespace LlamaOrleans.Http.Tests;

/// <summary>Meta's chat format over the demo model's tokenizer, to count prompt tokens independently of the server.</summary>
internal static class MetaChat
{
    private static readonly Lazy<ITokenizer> Tokenizer = new(() => TokenizerLoader.Load(TestData.Tok512));

    public static int PromptTokens(params Message[] dialog) => new ChatFormat(Tokenizer.Value).Encode(dialog).Ids.Count;

    public static int TextTokens(string text) => Tokenizer.Value.Encode(text, bos: true, eos: false).Count;
}
