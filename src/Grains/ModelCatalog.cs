using System.Collections.Concurrent;
using Llama.Chat;
using Llama.Tokenization;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Grains;

/// <summary>
/// The models of the cluster as every silo knows them from configuration: tokenizers and context limits,
/// which conversations need wherever they run, whether or not the silo hosts the model.
/// </summary>
public sealed class ModelCatalog(IOptions<LlamaHostingOptions> options)
{
    private readonly ConcurrentDictionary<string, Lazy<ChatFormat>> _formats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<ITokenizer>> _tokenizers = new(StringComparer.Ordinal);

    public LlamaHostingOptions Options { get; } = options.Value;

    public IReadOnlyList<string> Models => [.. Options.Models.Select(m => m.Name)];

    public LlamaModelOptions Get(string model) =>
        Options.Models.FirstOrDefault(m => m.Name == model)
        ?? throw new ConversationException(ConversationErrorCode.UnknownModel,
            $"Unknown model '{model}'. This cluster serves: {string.Join(", ", Options.Models.Select(m => m.Name))}.");

    /// <summary>Tokens a conversation may use: the model's max_seq_len, at most <see cref="LlamaHostingOptions.MaxContextTokens"/>.</summary>
    public int ContextLimit(string model) => Math.Min(Get(model).MaxSeqLen, Options.MaxContextTokens);

    /// <summary>A turn's reply cap on <paramref name="model"/>: <paramref name="requested"/>, else the configured default (see <see cref="ContextPlanner.ResolveMaxReplyTokens"/>).</summary>
    public int MaxReplyTokens(string model, int? requested) =>
        ContextPlanner.ResolveMaxReplyTokens(requested, ContextLimit(model), Options.Conversations.DefaultMaxReplyTokens);

    /// <summary>The planner of a conversation's turn on <paramref name="model"/> with the reply cap <paramref name="requested"/>.</summary>
    public ContextPlanner Planner(string model, int? requested) =>
        new(ChatFormat(model), ContextLimit(model), MaxReplyTokens(model, requested), Options.Conversations.ShrinkToFraction);

    /// <summary>Meta's chat format over the model's tokenizer, loaded once per silo.</summary>
    public ChatFormat ChatFormat(string model)
    {
        Get(model);
        return _formats.GetOrAdd(model, _ => new Lazy<ChatFormat>(() => new ChatFormat(Tokenizer(model)))).Value;
    }

    /// <summary>The model's tokenizer, loaded once per silo.</summary>
    public ITokenizer Tokenizer(string model)
    {
        var settings = Get(model);
        return _tokenizers.GetOrAdd(model, _ => new Lazy<ITokenizer>(() => TokenizerLoader.Load(settings.Tokenizer))).Value;
    }
}
