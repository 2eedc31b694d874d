namespace LlamaOrleans.Grains;

/// <summary>
/// Counts the conversation turns running on this silo and, once closed for a drain, refuses new ones, so that a silo
/// shutting down lets the turns it has finish and sends new ones elsewhere.
/// </summary>
public sealed class TurnGate
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _idle;
    private int _active;
    private bool _closed;

    /// <summary>Turns running now.</summary>
    public int Active
    {
        get
        {
            lock (_lock)
            {
                return _active;
            }
        }
    }

    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Admits a turn; dispose the result when it ends.</summary>
    /// <exception cref="ConversationException">The silo is draining (<see cref="ConversationErrorCode.Unavailable"/>: retry).</exception>
    public IDisposable Enter()
    {
        lock (_lock)
        {
            if (_closed)
            {
                throw new ConversationException(ConversationErrorCode.Unavailable,
                    "This silo is shutting down and takes no new turns; send the message again (same message id) and another silo takes it.");
            }

            _active++;
            return new Admission(this);
        }
    }

    /// <summary>Refuses new turns from now on; the task completes when the running ones have ended.</summary>
    public Task CloseAsync()
    {
        lock (_lock)
        {
            _closed = true;
            if (_active == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    private void Exit()
    {
        lock (_lock)
        {
            _active--;
            if (_active == 0 && _idle is { } idle)
            {
                idle.TrySetResult();
            }
        }
    }

    private sealed class Admission(TurnGate gate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Exit();
            }
        }
    }
}
