using System.Diagnostics;

namespace Llama.Kernels;

/// <summary>
/// Runs the parts of one parallel region on the calling thread and a few dedicated workers. A decode step
/// is dozens of short regions back to back; workers spin briefly between them (as OpenMP's do) instead of
/// going back to the thread pool, and block only after a quiet spell so an idle engine costs no CPU.
/// </summary>
internal sealed class CpuWorkerPool : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    private readonly Thread[] _workers;
    private readonly object _sleepLock = new();
    private Job? _job;
    private long _generation;
    private int _sleepers;
    private volatile bool _disposed;

    public CpuWorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"llama-cpu-{i + 1}" };
            _workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Calls <paramref name="body"/>(0..parts-1), each part once, and returns when all have run.</summary>
    public void Run(int parts, Action<int> body)
    {
        if (parts <= 1 || _workers.Length == 0)
        {
            for (var i = 0; i < parts; i++)
            {
                body(i);
            }

            return;
        }

        // A fresh job per region: a worker still leaving the previous one can only touch that one's counters.
        var job = new Job(body, parts);
        Volatile.Write(ref _job, job);
        Interlocked.Increment(ref _generation);
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_sleepLock)
            {
                Monitor.PulseAll(_sleepLock);
            }
        }

        job.Work();
        var spinner = default(SpinWait);
        while (Volatile.Read(ref job.Pending) > 0)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        if (job.Error is { } error)
        {
            throw new AggregateException(error);
        }
    }

    private void WorkerLoop()
    {
        long seen = 0;
        while (!_disposed)
        {
            var start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }

                Interlocked.Increment(ref _sleepers);
                lock (_sleepLock)
                {
                    while (Volatile.Read(ref _generation) == seen && !_disposed)
                    {
                        Monitor.Wait(_sleepLock);
                    }
                }

                Interlocked.Decrement(ref _sleepers);
            }

            seen = Volatile.Read(ref _generation);
            Volatile.Read(ref _job)?.Work();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        lock (_sleepLock)
        {
            Monitor.PulseAll(_sleepLock);
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }

    private sealed class Job(Action<int> body, int parts)
    {
        private readonly int _parts = parts;
        private int _next = -1;

        public int Pending = parts;

        public Exception? Error { get; private set; }

        public void Work()
        {
            int part;
            while ((part = Interlocked.Increment(ref _next)) < _parts)
            {
                try
                {
                    body(part);
                }
                catch (Exception e)
                {
                    Error = e;
                }
                finally
                {
                    Interlocked.Decrement(ref Pending);
                }
            }
        }
    }
}
