using System.Text;
using LlamaOrleans.Http.Auth;
using LlamaOrleans.Http.Errors;
using LlamaOrleans.Http.Generation;
using LlamaOrleans.Http.Limits;
using LlamaOrleans.Http.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace LlamaOrleans.Http.Streaming;

/// <summary>
/// Runs a turn for a request, whole or streamed, measuring it and metering its tokens. A streamed turn starts its
/// response only once the first piece is there, so refusals before that are ordinary error responses; later failures
/// and server shutdown end the stream with an error event and <c>[DONE]</c>. A client that goes away cancels the turn,
/// and what was generated until then is metered all the same.
/// </summary>
public sealed class TurnResponder(UsageMeter usage, HttpApiTelemetry telemetry, StreamLimiter streams, IHostApplicationLifetime lifetime)
{
    private static readonly ApiError ShuttingDown = new(503, "The server is shutting down; the reply was not completed. Send the request again.",
        ApiErrorTypes.Server, Code: "server_shutting_down", RetryAfter: ErrorMapping.UnavailableRetry);

    /// <summary>Runs the turn whole: its text, the log-probabilities of its tokens (empty unless asked for), and its end.</summary>
    /// <param name="promptTokens">
    /// The prompt's tokens when the endpoint knows them (metered if the turn ends early); else 0, and the pieces say.
    /// </param>
    public async Task<(string Text, IReadOnlyList<LogprobToken> Logprobs, TurnEnd End)> CollectAsync(
        HttpContext context, string model, string endpoint, IAsyncEnumerable<TurnPiece> turn, int promptTokens)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(turn);
        using var measure = new TurnMeasurement(telemetry, model, endpoint);
        var text = new StringBuilder();
        var logprobs = new List<LogprobToken>();
        var generated = 0;
        try
        {
            await foreach (var piece in turn.WithCancellation(context.RequestAborted))
            {
                measure.Piece(piece);
                generated += piece.Tokens;
                promptTokens = Math.Max(promptTokens, piece.PromptTokens);
                text.Append(piece.Text);
                logprobs.AddRange(piece.Logprobs ?? []);
                if (piece.End is { } end)
                {
                    measure.End(end);
                    generated = 0;
                    await usage.RecordAsync(context.GetCaller(), model, end);
                    return (text.ToString(), logprobs, end);
                }
            }
        }
        catch (Exception e)
        {
            measure.Failed(e);
            throw;
        }
        finally
        {
            await MeterUnfinished(context, model, promptTokens, generated);
        }

        throw new ConversationException(ConversationErrorCode.Unavailable, "The turn ended without a result; send the request again.");
    }

    public async Task StreamAsync(
        HttpContext context,
        string model,
        string endpoint,
        IAsyncEnumerable<TurnPiece> turn,
        int promptTokens,
        Func<SseWriter, TurnPiece, CancellationToken, Task> writePiece,
        Func<SseWriter, TurnEnd, CancellationToken, Task> writeEnd)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(turn);
        ArgumentNullException.ThrowIfNull(writePiece);
        ArgumentNullException.ThrowIfNull(writeEnd);
        var caller = context.GetCaller();
        using var lease = streams.Acquire(caller);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var token = stop.Token;
        using var measure = new TurnMeasurement(telemetry, model, endpoint);
        await using var pieces = turn.GetAsyncEnumerator(token);
        var generated = 0;
        bool more;
        try
        {
            more = await pieces.MoveNextAsync();
        }
        catch (Exception e)
        {
            measure.Failed(e);
            throw;
        }

        var sse = new SseWriter(context);
        await sse.StartAsync(context.RequestAborted);
        telemetry.Streams.Add(1);
        try
        {
            for (; more; more = await pieces.MoveNextAsync())
            {
                var piece = pieces.Current;
                measure.Piece(piece);
                generated += piece.Tokens;
                promptTokens = Math.Max(promptTokens, piece.PromptTokens);
                if (piece.End is { } end)
                {
                    // Metered before it is sent: the client may leave while the last pieces go out.
                    measure.End(end);
                    generated = 0;
                    await usage.RecordAsync(caller, model, end);
                    await writePiece(sse, piece, token);
                    await writeEnd(sse, end, token);
                    await sse.DoneAsync(token);
                    return;
                }

                await writePiece(sse, piece, token);
            }

            throw new ConversationException(ConversationErrorCode.Unavailable, "The turn ended without a result; send the request again.");
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            measure.Failed(e);
            // The headers are sent: say what went wrong in the stream, then end it as a stream ends.
            var error = e is OperationCanceledException && lifetime.ApplicationStopping.IsCancellationRequested ? ShuttingDown : ErrorMapping.ToApiError(e);
            await sse.ErrorAsync(error, context.RequestAborted);
            await sse.DoneAsync(context.RequestAborted);
        }
        finally
        {
            telemetry.Streams.Add(-1);
            await MeterUnfinished(context, model, promptTokens, generated);
        }
    }

    /// <summary>
    /// A turn that ended without its end (the client left, the worker failed, the server stops) still computed its
    /// prompt and generated <paramref name="generated"/> tokens: they are metered once some were generated.
    /// </summary>
    private async Task MeterUnfinished(HttpContext context, string model, int promptTokens, int generated)
    {
        if (generated > 0)
        {
            await usage.RecordAsync(context.GetCaller(), model, new TurnEnd("cancelled", promptTokens, generated));
        }
    }
}
