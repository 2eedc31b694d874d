using LlamaOrleans.Http.Errors;
using Microsoft.AspNetCore.Http;

namespace LlamaOrleans.Http.Auth;

/// <summary>Where <see cref="ApiKeyMiddleware"/> leaves the caller of a request.</summary>
public static class HttpContextCallerExtensions
{
    private static readonly object Key = new();

    public static Caller? FindCaller(this HttpContext context) => context.Items.TryGetValue(Key, out var caller) ? (Caller?)caller : null;

    /// <summary>The authenticated caller; only /v1 endpoints, which the middleware guards, may ask.</summary>
    /// <exception cref="ApiException">The request has no caller (401): an endpoint was reached without the middleware's check.</exception>
    public static Caller GetCaller(this HttpContext context) =>
        context.FindCaller() ?? throw new ApiException(new ApiError(StatusCodes.Status401Unauthorized,
            "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.", ApiErrorTypes.InvalidRequest, Code: "invalid_api_key"));

    internal static void SetCaller(this HttpContext context, Caller caller) => context.Items[Key] = caller;
}
