using Llama.Chat;
using Llama.Tokenization;
using LlamaOrleans.Grains;
using LlamaOrleans.Http.Generation;

namespace LlamaOrleans.Silo;

/// <summary>The grains' <see cref="ModelCatalog"/> as the HTTP API sees it: names, context limits, tokenizers.</summary>
internal sealed class HttpModelCatalog(ModelCatalog catalog) : IModelCatalog
{
    public IReadOnlyList<string> Models => catalog.Models;

    public int ContextLimit(string model) => catalog.ContextLimit(model);

    public ChatFormat ChatFormat(string model) => catalog.ChatFormat(model);

    public ITokenizer Tokenizer(string model) => catalog.Tokenizer(model);
}
