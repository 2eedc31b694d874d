using Microsoft.AspNetCore.Http;

namespace LlamaOrleans.Http.Auth;

/// <summary>Where <see cref="ApiKeyMiddleware"/> leaves the caller of a request.</summary>
public static class HttpContextCallerExtensions
{
    private static readonly object Key = new();

    public static Caller? FindCaller(this HttpContext context) => context.Items.TryGetValue(Key, out var caller) ? (Caller?)caller : null;

    /// <summary>The authenticated caller; only /v1 endpoints, which the middleware guards, may ask.</summary>
    public static Caller GetCaller(this HttpContext context) =>
        context.FindCaller() ?? throw new InvalidOperationException("The request has no caller: it did not pass the API key middleware.");

    internal static void SetCaller(this HttpContext context, Caller caller) => context.Items[Key] = caller;
}
