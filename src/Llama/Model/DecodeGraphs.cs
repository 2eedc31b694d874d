namespace Llama.Model;

/// <summary>
/// One CUDA graph per <see cref="DecodeBucket"/>: the first step of a bucket runs eagerly (libraries set themselves up
/// outside capture), is captured, and every step of it from then on replays. A bucket whose capture fails runs
/// eagerly from then on.
/// </summary>
public sealed class DecodeGraphs(ICudaGraphApi api, int device) : IDisposable
{
    private readonly Dictionary<DecodeBucket, nint> _graphs = [];
    private readonly HashSet<DecodeBucket> _failed = [];

    public int Captures { get; private set; }

    public int Replays { get; private set; }

    public int EagerSteps { get; private set; }

    /// <summary>The error of the last capture that failed, if any.</summary>
    public Exception? LastCaptureError { get; private set; }

    /// <summary>
    /// Runs the bucket's step: <paramref name="step"/> must read its inputs only from the bucket's fixed device
    /// buffers and write its outputs to them, since a replay repeats exactly what the capture recorded.
    /// </summary>
    public void Run(DecodeBucket bucket, Action step)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_graphs.TryGetValue(bucket, out var graph))
        {
            step();
            EagerSteps++;
            if (_failed.Contains(bucket))
            {
                return;
            }

            try
            {
                graph = api.Capture(device, step);
            }
            catch (Exception e)
            {
                LastCaptureError = e;
                _failed.Add(bucket);
                return;
            }

            _graphs[bucket] = graph;
            Captures++;
            // The eager run already produced this step's outputs; the graph serves the next one.
            return;
        }

        api.Replay(graph);
        Replays++;
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var graph in _graphs.Values)
        {
            api.Destroy(graph);
        }

        _graphs.Clear();
    }
}
