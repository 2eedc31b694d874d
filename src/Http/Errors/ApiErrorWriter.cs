using System.Globalization;
using LlamaOrleans.Http.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace LlamaOrleans.Http.Errors;

/// <summary>Writes an <see cref="ApiError"/> as OpenAI does: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public static class ApiErrorWriter
{
    public static async Task WriteAsync(HttpContext context, ApiError error)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        var response = context.Response;
        response.StatusCode = error.Status;
        if (error.RetryAfter is { } retry)
        {
            response.Headers[HeaderNames.RetryAfter] = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await response.WriteAsJsonAsync(Body(error), ApiJsonContext.Default.ErrorResponse, contentType: "application/json", context.RequestAborted);
    }

    public static ErrorResponse Body(ApiError error) => new(new ErrorBody(error.Message, error.Type, error.Param, error.Code));
}
