namespace LlamaOrleans.Http;

/// <summary>The API's paths and headers.</summary>
public static class HttpApiRoutes
{
    /// <summary>Every path under it needs a caller (an API key, when keys are required).</summary>
    public const string Prefix = "/v1";

    public const string ChatCompletions = "/v1/chat/completions";
    public const string Completions = "/v1/completions";
    public const string Models = "/v1/models";
    public const string Conversations = "/v1/conversations";
    public const string Usage = "/v1/usage";
    public const string Health = "/healthz";
    public const string Ready = "/readyz";
    public const string Metrics = "/metrics";
    public const string OpenApi = "/openapi.json";

    /// <summary>Names a conversation of the caller whose history and cache a chat completion continues.</summary>
    public const string ConversationIdHeader = "X-Conversation-Id";

    /// <summary>The client's id for a user message: sending the same id again returns the recorded reply.</summary>
    public const string MessageIdHeader = "X-Message-Id";
}
