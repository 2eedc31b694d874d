using System.Diagnostics;

namespace Llama.Parallel;

/// <summary>
/// What a distributed model's steps cost in exchanges with its shards: one exchange is a round trip to every rank or
/// stage at once (an all-reduce, an all-gather, or a pipeline hop), timed from the coordinator's side (the shards'
/// compute included).
/// </summary>
public sealed record ExchangeStatistics(long Steps, long Exchanges, TimeSpan ExchangeTime, long BytesSent, long BytesReceived)
{
    public double ExchangesPerStep => Steps == 0 ? 0 : (double)Exchanges / Steps;
}

/// <summary>Counts exchanges as the coordinator's engine thread makes them; read from any thread.</summary>
internal sealed class ExchangeCounter
{
    private long _steps;
    private long _exchanges;
    private long _ticks;
    private long _sent;
    private long _received;

    public void Step() => Interlocked.Increment(ref _steps);

    public void Exchange(long startTimestamp, long bytesSent, long bytesReceived)
    {
        Interlocked.Increment(ref _exchanges);
        Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - startTimestamp);
        Interlocked.Add(ref _sent, bytesSent);
        Interlocked.Add(ref _received, bytesReceived);
    }

    public ExchangeStatistics Snapshot() => new(
        Interlocked.Read(ref _steps), Interlocked.Read(ref _exchanges),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks)), Interlocked.Read(ref _sent), Interlocked.Read(ref _received));
}
