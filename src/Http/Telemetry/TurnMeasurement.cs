using System.Diagnostics;
using LlamaOrleans.Http.Generation;

namespace LlamaOrleans.Http.Telemetry;

/// <summary>Times one turn from the request to its first token and its end, and records the figures.</summary>
public sealed class TurnMeasurement(HttpApiTelemetry telemetry, string model, string endpoint)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _first;

    /// <summary>Notes a piece of the reply; the first with text sets the time to first token.</summary>
    public void Piece(TurnPiece piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (_first == 0 && piece.Text.Length > 0)
        {
            _first = Stopwatch.GetTimestamp();
            telemetry.FirstToken.Record(Stopwatch.GetElapsedTime(_start, _first).TotalSeconds, Tags());
        }
    }

    public void End(TurnEnd end)
    {
        ArgumentNullException.ThrowIfNull(end);
        if (_first != 0 && end.CompletionTokens > 1)
        {
            var seconds = Stopwatch.GetElapsedTime(_first).TotalSeconds;
            if (seconds > 0)
            {
                telemetry.Rate.Record((end.CompletionTokens - 1) / seconds, Tags());
            }
        }
    }

    private TagList Tags() => new() { { "model", model }, { "endpoint", endpoint } };
}
