using System.Net;
using System.Text.Json;

namespace Llama.Bench.Cluster;

/// <summary>
/// Sorts HTTP failures into retryable and not: 5xx, 429, connection failures and cut streams may succeed when the same
/// message id is sent again (to another silo); any other 4xx is the client's error and fails the turn.
/// </summary>
internal static class HttpFailures
{
    /// <summary>Whether a response with <paramref name="status"/> is worth sending again.</summary>
    public static bool IsRetryableStatus(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The exception for an unsuccessful response, with its OpenAI error message and <c>Retry-After</c>.</summary>
    public static async Task<HttpTurnException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var detail = ErrorMessage(body) ?? (body.Length > 200 ? body[..200] : body);
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => (TimeSpan?)null,
        };
        return new HttpTurnException($"{(int)response.StatusCode} {response.ReasonPhrase}: {detail}", response.StatusCode,
            IsRetryableStatus(response.StatusCode), retryAfter);
    }

    /// <summary>
    /// The exception for an error event in a stream that had begun: the server's errors (<c>server_error</c>) and
    /// limits (<c>rate_limit_exceeded</c>) are retryable, the request's own errors and a spent quota are not.
    /// </summary>
    public static HttpTurnException FromErrorEvent(JsonElement error)
    {
        var type = error.TryGetProperty("type", out var t) ? t.GetString() : null;
        var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
        var message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
        var retryable = type is "server_error" or "rate_limit_exceeded";
        return new HttpTurnException($"error event {type}/{code}: {message}", null, retryable);
    }

    /// <summary>Whether <paramref name="error"/>, thrown by a request to the API, is worth sending again.</summary>
    public static bool IsRetryable(Exception error) => error switch
    {
        HttpTurnException e => e.Retryable,
        // No status: the connection was refused, reset or ended early.
        HttpRequestException { StatusCode: { } status } => IsRetryableStatus(status),
        HttpRequestException => true,
        // The response body was cut (HttpIOException) or the socket reset while reading it.
        IOException => true,
        // HttpClient's own timeout, not the caller's cancellation.
        TaskCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

    private static string? ErrorMessage(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message)
                ? $"{(error.TryGetProperty("code", out var code) ? code.ToString() : null)}: {message.GetString()}"
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
