using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LlamaOrleans.Http.Errors;
using LlamaOrleans.Http.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace LlamaOrleans.Http.Streaming;

/// <summary>Writes server-sent events as OpenAI streams them: <c>data: {json}\n\n</c> per event, <c>data: [DONE]\n\n</c> last.</summary>
public sealed class SseWriter(HttpContext context)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = Encoding.UTF8.GetBytes("data: [DONE]\n\n");

    public const string ContentType = "text/event-stream";

    /// <summary>Sends the headers; from here on, errors can only be reported as events.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers[HeaderNames.CacheControl] = "no-cache";
        // Proxies such as nginx would otherwise hold the events back.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken);
    }

    public async Task WriteAsync<T>(T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var writer = context.Response.BodyWriter;
        writer.Write(DataPrefix);
        using (var json = new Utf8JsonWriter(writer))
        {
            JsonSerializer.Serialize(json, value, type);
        }

        writer.Write(EventEnd);
        await writer.FlushAsync(cancellationToken);
    }

    public Task ErrorAsync(ApiError error, CancellationToken cancellationToken) =>
        WriteAsync(ApiErrorWriter.Body(error), ApiJsonContext.Default.ErrorResponse, cancellationToken);

    public async Task DoneAsync(CancellationToken cancellationToken)
    {
        await context.Response.BodyWriter.WriteAsync(Done, cancellationToken);
    }
}
