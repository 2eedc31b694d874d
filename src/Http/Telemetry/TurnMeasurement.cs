using System.Diagnostics;
using LlamaOrleans.Http.Generation;

namespace LlamaOrleans.Http.Telemetry;

/// <summary>
/// Times one turn from the request to its first token and its end, records the figures, and traces it: a
/// <see cref="SpanName"/> span, current while the turn runs, so the grain calls it makes (and, through Orleans' activity
/// propagation, the conversation and worker grains' own calls) are its children.
/// </summary>
public sealed class TurnMeasurement : IDisposable
{
    public const string SpanName = "llama.turn";

    private readonly HttpApiTelemetry _telemetry;
    private readonly string _model;
    private readonly string _endpoint;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly Activity? _activity;
    private long _first;

    public TurnMeasurement(HttpApiTelemetry telemetry, string model, string endpoint)
    {
        _telemetry = telemetry;
        _model = model;
        _endpoint = endpoint;
        _activity = HttpApiTelemetry.Source.StartActivity(SpanName);
        _activity?.SetTag("llama.model", model);
        _activity?.SetTag("llama.endpoint", endpoint);
    }

    /// <summary>Notes a piece of the reply; the first with text sets the time to first token.</summary>
    public void Piece(TurnPiece piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (_first == 0 && piece.Text.Length > 0)
        {
            _first = Stopwatch.GetTimestamp();
            _telemetry.FirstToken.Record(Stopwatch.GetElapsedTime(_start, _first).TotalSeconds, Tags());
            _activity?.AddEvent(new ActivityEvent("first_token"));
        }
    }

    public void End(TurnEnd end)
    {
        ArgumentNullException.ThrowIfNull(end);
        _activity?.SetTag("llama.finish_reason", end.FinishReason);
        _activity?.SetTag("llama.prompt_tokens", end.PromptTokens);
        _activity?.SetTag("llama.completion_tokens", end.CompletionTokens);
        _activity?.SetTag("llama.cached_prompt_tokens", end.CachedPromptTokens);
        if (_first != 0 && end.CompletionTokens > 1)
        {
            var seconds = Stopwatch.GetElapsedTime(_first).TotalSeconds;
            if (seconds > 0)
            {
                _telemetry.Rate.Record((end.CompletionTokens - 1) / seconds, Tags());
            }
        }
    }

    /// <summary>Marks the span failed: the turn ended with <paramref name="error"/>.</summary>
    public void Failed(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _activity?.SetStatus(ActivityStatusCode.Error, error.Message);
        _activity?.AddException(error);
    }

    /// <summary>Ends the span.</summary>
    public void Dispose() => _activity?.Dispose();

    private TagList Tags() => new() { { "model", _model }, { "endpoint", _endpoint } };
}
