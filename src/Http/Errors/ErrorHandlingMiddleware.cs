using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlamaOrleans.Http.Errors;

/// <summary>
/// Turns whatever ends a request early into OpenAI's error shape: refusals of the API and the grains, bad bodies
/// (413, 400), and, last, unexpected failures (500, the only ones logged). A request whose client went away gets no answer.
/// </summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone; there is no one to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var error = ErrorMapping.ToApiError(e);
            // Only the unexpected is a failure worth a stack trace: a 503 (a model that failed to load, a stopping
            // server) is an answer, and logging it would fill the log at the request rate.
            if (error.Status == StatusCodes.Status500InternalServerError)
            {
                LogFailure(e, context.Request.Method, context.Request.Path);
            }

            context.Response.Clear();
            await ApiErrorWriter.WriteAsync(context, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private partial void LogFailure(Exception e, string method, string path);
}
