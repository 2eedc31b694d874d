namespace LlamaOrleans;

/// <summary>Kinds of refusal, for clients that map them (e.g. to HTTP status codes).</summary>
[GenerateSerializer]
[Alias("llama.ConversationErrorCode")]
public enum ConversationErrorCode
{
    InvalidRequest,
    NotFound,
    UnknownModel,
    ContextFull,
    MessageTooLong,
    Busy,
    Unavailable,

    /// <summary>A message id already sent with different content (an idempotency key reused).</summary>
    Conflict,

    /// <summary>The model failed to load on the silo asked (a bad checkpoint or tokenizer): retrying soon will not help.</summary>
    ModelUnavailable,
}
