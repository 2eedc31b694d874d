using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LlamaOrleans.Http.Telemetry;

/// <summary>
/// The API's traces and metrics: a span per turn (which Orleans' activity propagation carries into the conversation
/// and worker grains), time to first token, tokens per second, tokens by tenant and model, and open streams.
/// </summary>
public sealed class HttpApiTelemetry : IDisposable
{
    public const string Name = "LlamaOrleans.Http";
    public const string TimeToFirstToken = "llama.http.time_to_first_token";
    public const string TokensPerSecond = "llama.http.tokens_per_second";
    public const string Tokens = "llama.http.tokens";
    public const string ActiveStreams = "llama.http.active_streams";

    private readonly Meter _meter;

    public HttpApiTelemetry(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(Name);
        FirstToken = _meter.CreateHistogram<double>(TimeToFirstToken, "s", "Time from the request to the first reply token",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        Rate = _meter.CreateHistogram<double>(TokensPerSecond, "{token}/s", "Reply tokens per second after the first token",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] });
        TokenCount = _meter.CreateCounter<long>(Tokens, "{token}", "Prompt and completion tokens by tenant and model");
        Streams = _meter.CreateUpDownCounter<long>(ActiveStreams, "{stream}", "Streamed replies open now");
    }

    public static ActivitySource Source { get; } = new(Name);

    internal Histogram<double> FirstToken { get; }

    internal Histogram<double> Rate { get; }

    internal Counter<long> TokenCount { get; }

    internal UpDownCounter<long> Streams { get; }

    public void Dispose() => _meter.Dispose();
}
