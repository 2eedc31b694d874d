namespace LlamaOrleans.Http.Errors;

/// <summary>The <c>type</c> values of OpenAI's error object that this API uses.</summary>
public static class ApiErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string RateLimit = "rate_limit_exceeded";
    public const string InsufficientQuota = "insufficient_quota";
    public const string Server = "server_error";
}
