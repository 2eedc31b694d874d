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
/// and server shutdown end the stream with an error event and <c>[DONE]</c>. A client that goes away cancels the turn.
/// </summary>
public sealed class TurnResponder(UsageMeter usage, HttpApiTelemetry telemetry, StreamLimiter streams, IHostApplicationLifetime lifetime)
{
    private static readonly ApiError ShuttingDown = new(503, "The server is shutting down; the reply was not completed. Send the request again.",
        ApiErrorTypes.Server, Code: "server_shutting_down", RetryAfter: ErrorMapping.UnavailableRetry);

    /// <summary>Runs the turn whole: its text, the log-probabilities of its tokens (empty unless asked for), and its end.</summary>
    public async Task<(string Text, IReadOnlyList<LogprobToken> Logprobs, TurnEnd End)> CollectAsync(
        HttpContext context, string model, string endpoint, IAsyncEnumerable<TurnPiece> turn)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(turn);
        using var measure = new TurnMeasurement(telemetry, model, endpoint);
        var text = new StringBuilder();
        var logprobs = new List<LogprobToken>();
        try
        {
            await foreach (var piece in turn.WithCancellation(context.RequestAborted))
            {
                measure.Piece(piece);
                text.Append(piece.Text);
                logprobs.AddRange(piece.Logprobs ?? []);
                if (piece.End is { } end)
                {
                    measure.End(end);
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

        throw new ConversationException(ConversationErrorCode.Unavailable, "The turn ended without a result; send the request again.");
    }

    public async Task StreamAsync(
        HttpContext context,
        string model,
        string endpoint,
        IAsyncEnumerable<TurnPiece> turn,
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
                await writePiece(sse, piece, token);
                if (piece.End is { } end)
                {
                    measure.End(end);
                    await usage.RecordAsync(caller, model, end);
                    await writeEnd(sse, end, token);
                    await sse.DoneAsync(token);
                    return;
                }
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
        }
    }
}
