using Llama.Chat;
using Llama.Tokenization;

namespace LlamaOrleans.Http.Generation;

/// <summary>
/// What the HTTP API needs to know of the cluster's models, from configuration: their names, context limits and
/// tokenizers. Every method taking a model name refuses an unknown one. The host provides it (the silo, over the
/// grains' model catalog).
/// </summary>
public interface IModelCatalog
{
    /// <summary>The names of the models the cluster serves.</summary>
    IReadOnlyList<string> Models { get; }

    /// <summary>Tokens a request may use: the model's max_seq_len, at most the configured cap.</summary>
    /// <exception cref="ConversationException"><see cref="ConversationErrorCode.UnknownModel"/>.</exception>
    int ContextLimit(string model);

    /// <summary>Meta's chat format over the model's tokenizer.</summary>
    /// <exception cref="ConversationException"><see cref="ConversationErrorCode.UnknownModel"/>.</exception>
    ChatFormat ChatFormat(string model);

    /// <summary>The model's tokenizer, for text prompts.</summary>
    /// <exception cref="ConversationException"><see cref="ConversationErrorCode.UnknownModel"/>.</exception>
    ITokenizer Tokenizer(string model);
}
