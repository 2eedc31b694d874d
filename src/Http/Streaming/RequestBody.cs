using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using LlamaOrleans.Http.Errors;
using Microsoft.AspNetCore.Http;

namespace LlamaOrleans.Http.Streaming;

/// <summary>Reads a request's JSON body; anything that is not a JSON object of the endpoint's shape is a 400 naming where it broke.</summary>
public static class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        // Read whole (Kestrel caps its size) so that invalid UTF-8 anywhere is refused here, not when a string is used.
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (!Utf8.IsValid(bytes.Span))
        {
            throw ApiException.BadRequest("The request body is not valid UTF-8.", code: "invalid_json");
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize(bytes.Span, type);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"The request body is not valid JSON for this endpoint: {FirstLine(e.Message)}", Param(e.Path), "invalid_json");
        }
        catch (InvalidOperationException e)
        {
            // What System.Text.Json throws for values it cannot convert, e.g. a JSON number too deep for a JsonElement.
            throw ApiException.BadRequest($"The request body is not valid JSON for this endpoint: {FirstLine(e.Message)}", code: "invalid_json");
        }

        return value ?? throw ApiException.BadRequest("The request body must be a JSON object.", code: "invalid_json");
    }

    /// <summary>OpenAI names the field without JSONPath's root: <c>$.messages[0].role</c> becomes <c>messages[0].role</c>.</summary>
    private static string? Param(string? path) => path is null ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }
}
