using LlamaOrleans.Http.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace LlamaOrleans.Http.Auth;

/// <summary>
/// Resolves the caller of every request to a /v1 endpoint from its <c>Authorization: Bearer</c> key. A wrong key is refused (401)
/// whenever keys are configured; a missing one only when keys are required, otherwise the request runs as the
/// anonymous tenant. A server with no keys and none required takes any key as the anonymous caller.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeyStore keys)
{
    private const string BearerPrefix = "Bearer ";

    public Task InvokeAsync(HttpContext context)
    {
        // The endpoint decides; the path prefix (in any case) also guards unknown /v1 paths, so they are 401 before 404.
        if (context.GetEndpoint()?.Metadata.GetMetadata<CallerRequired>() is null
            && !context.Request.Path.StartsWithSegments(HttpApiRoutes.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var header = context.Request.Headers.Authorization.ToString();
        Caller? caller;
        if (header.Length == 0 || keys.Open)
        {
            caller = keys.RequireApiKey ? null : Caller.Anonymous(keys.Limits);
            if (caller is null)
            {
                return Refuse(context, "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.");
            }
        }
        else
        {
            caller = header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) ? keys.Find(header[BearerPrefix.Length..].Trim()) : null;
            if (caller is null)
            {
                return Refuse(context, "Incorrect API key provided.");
            }
        }

        context.SetCaller(caller);
        return next(context);
    }

    private static Task Refuse(HttpContext context, string message)
    {
        context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return ApiErrorWriter.WriteAsync(context, new ApiError(StatusCodes.Status401Unauthorized, message, ApiErrorTypes.InvalidRequest, Code: "invalid_api_key"));
    }
}
