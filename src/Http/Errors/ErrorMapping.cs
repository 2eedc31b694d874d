using System.Text.Json;
using Llama.Chat;
using Microsoft.AspNetCore.Http;

namespace LlamaOrleans.Http.Errors;

/// <summary>The status code and error object for each kind of failure (the contract's mapping for the grains' codes).</summary>
public static class ErrorMapping
{
    public static readonly TimeSpan BusyRetry = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan UnavailableRetry = TimeSpan.FromSeconds(5);

    public static ApiError ToApiError(Exception e) => e switch
    {
        ApiException api => api.Error,
        ConversationException c => FromConversation(c),
        ChatFormatException chat => new ApiError(400, chat.Message, ApiErrorTypes.InvalidRequest, "messages", "invalid_messages"),
        BadHttpRequestException bad => new ApiError(bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? "The request body is larger than this server accepts." : bad.Message, ApiErrorTypes.InvalidRequest,
            Code: bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request_too_large" : "bad_request"),
        JsonException json => new ApiError(400, $"The request body is not valid JSON for this endpoint: {json.Message}", ApiErrorTypes.InvalidRequest, json.Path, "invalid_json"),
        OperationCanceledException => new ApiError(503, "The request was cancelled: the server is shutting down. Send it again.", ApiErrorTypes.Server,
            Code: "server_shutting_down", RetryAfter: UnavailableRetry),
        _ => new ApiError(500, "The server failed to handle the request.", ApiErrorTypes.Server, Code: "internal_error"),
    };

    public static ApiError FromConversation(ConversationException e) => e.Code switch
    {
        ConversationErrorCode.NotFound => new ApiError(404, "Not found.", ApiErrorTypes.InvalidRequest, Code: "not_found"),
        ConversationErrorCode.UnknownModel => new ApiError(404, e.Message, ApiErrorTypes.InvalidRequest, "model", "model_not_found"),
        ConversationErrorCode.ContextFull => new ApiError(400, e.Message, ApiErrorTypes.InvalidRequest, "messages", "context_length_exceeded"),
        ConversationErrorCode.MessageTooLong => new ApiError(400, e.Message, ApiErrorTypes.InvalidRequest, "messages", "context_length_exceeded"),
        ConversationErrorCode.Busy => new ApiError(429, e.Message, ApiErrorTypes.RateLimit, Code: "server_busy", RetryAfter: BusyRetry),
        ConversationErrorCode.Conflict => new ApiError(409, e.Message, ApiErrorTypes.InvalidRequest, HttpApiRoutes.MessageIdHeader, "message_id_conflict"),
        ConversationErrorCode.Unavailable => new ApiError(503, e.Message, ApiErrorTypes.Server, Code: "unavailable", RetryAfter: UnavailableRetry),
        ConversationErrorCode.ModelUnavailable => new ApiError(503, e.Message, ApiErrorTypes.Server, "model", "model_unavailable", ModelLoadRetry.Interval),
        _ => new ApiError(400, e.Message, ApiErrorTypes.InvalidRequest, Code: "invalid_request"),
    };
}
