using Llama.Generation;
using Llama.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Llama.Serving;

/// <summary>
/// Continuous batching over one model: turns queue, join the running batch between steps as KV blocks allow,
/// and leave it the step they finish. Every step is one forward of a decode token for each running turn plus
/// prefill chunks (at most <see cref="ServingOptions.PrefillChunkTokens"/> prompt tokens in all); while prompts wait,
/// up to <see cref="ServingOptions.PrefillFirstSteps"/> steps in a row compute prompts alone. Conversation
/// caches stay in the paged KV pool between turns; full blocks are shared by every cache whose tokens start the
/// same. When blocks run out, idle caches are evicted least recently used first, then the most recently admitted
/// turn is preempted and later recomputed, with the same output. The engine owns the model's KV pool: nothing
/// else may run the model while it serves.
/// </summary>
public sealed class ServingEngine : IDisposable
{
    private readonly IPagedModel _model;
    private readonly IReadOnlySet<int> _stopTokens;
    private readonly ModelRunner _runner;
    private readonly ServingLimits _limits;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly ConversationCaches _caches;
    private readonly StepScheduler _scheduler;
    private readonly ServingCounters _counters;
    private readonly ServingMetrics _metrics;
    private readonly Thread _thread;
    private bool _disposed;

    public ServingEngine(TokenGenerator generator, ServingOptions? options = null, ILogger? logger = null)
        : this(generator?.Model!, generator?.StopTokens!, options, logger)
    {
    }

    /// <summary>
    /// Serves <paramref name="model"/>, a single <see cref="Transformer"/> or a distributed one (Llama.Parallel): the
    /// engine decides every block table, and the model's ranks or stages follow them.
    /// </summary>
    public ServingEngine(IPagedModel model, IReadOnlySet<int> stopTokens, ServingOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stopTokens);
        options ??= new ServingOptions();
        options.Validate();
        _model = model;
        _stopTokens = stopTokens;
        _runner = new ModelRunner(model);
        _logger = logger ?? NullLogger.Instance;
        _limits = ServingLimits.Of(model, options);
        _caches = new ConversationCaches(_model.KvCache);
        _metrics = new ServingMetrics(this,
            () => Locked(() => _scheduler!.Queued), () => Locked(() => _scheduler!.Running),
            () => Locked(() => _caches.UsedBlocks), () => Locked(() => _caches.FreeBlocks));
        _counters = new ServingCounters(_metrics);
        _scheduler = new StepScheduler(_caches, _model.Rope, options, _limits, _counters, _logger);
        _thread = new Thread(Run) { IsBackground = true, Name = "Llama serving engine" };
        _thread.Start();
        ServingLog.Started(_logger, _model.KvCache.BlockCount, _model.KvCache.BlockSize, _limits.MaxRows, options.PrefillChunkTokens);
    }

    /// <summary>
    /// Queues the turn; the task completes when it ends. <paramref name="onToken"/> runs on the engine thread for
    /// each generated token (stop token included) and must be quick (it may call the engine). The task fails with
    /// <see cref="CacheMissException"/> when the cache it reuses is gone or holds other tokens (nothing changed
    /// then), and is cancelled through <paramref name="cancellationToken"/>; a failed or cancelled turn that had
    /// started drops its cache.
    /// </summary>
    /// <exception cref="ArgumentException">The request is malformed, asks for echo, or its prompt can never fit.</exception>
    /// <exception cref="InvalidOperationException">(from the task) The queue already holds <see cref="ServingOptions.MaxQueuedRequests"/> turns.</exception>
    /// <exception cref="ObjectDisposedException">The engine is disposed.</exception>
    public Task<TurnOutcome> RunAsync(TurnRequest request, Action<int>? onToken = null, CancellationToken cancellationToken = default) =>
        RunAsync(request, onToken is null ? null : (token, _) => onToken(token), cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(TurnRequest, Action{int}?, CancellationToken)"/>; <paramref name="onToken"/> also gets each
    /// token's log-probabilities when the request asks for them (<see cref="GenerationOptions.Logprobs"/>), else null.
    /// </summary>
    public Task<TurnOutcome> RunAsync(TurnRequest request, Action<int, TokenLogprobs?>? onToken, CancellationToken cancellationToken = default)
    {
        _limits.Validate(request);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TurnOutcome>(cancellationToken);
        }

        var turn = TurnState.Start(request, onToken, () => Wake(), cancellationToken);
        lock (_lock)
        {
            if (_disposed)
            {
                turn.Registration.Unregister();
            }

            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_scheduler.TryEnqueue(turn))
            {
                Monitor.PulseAll(_lock);
            }
        }

        return turn.Completion.Task;
    }

    public ServingStatistics Statistics() =>
        Locked(() => _counters.Snapshot(_caches, _scheduler.Queued, _scheduler.Running, _model.KvCache.BytesPerToken));

    /// <summary>Forgets one conversation's cache (a turn running on it keeps its blocks until it ends); true when it was held.</summary>
    public bool Drop(string cacheId)
    {
        ArgumentNullException.ThrowIfNull(cacheId);
        var dropped = false;
        Wake(() => dropped = _caches.Drop(cacheId));
        return dropped;
    }

    public void DropAll() => Wake(_caches.DropAll);

    /// <summary>The block table of a cache, for tests that check what shares and what copies.</summary>
    internal IReadOnlyList<int>? BlocksOf(string cacheId) => Locked(() => _caches.BlocksOf(cacheId));

    /// <summary>Stops the engine after its current step; turns not yet completed fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Monitor.PulseAll(_lock);
        }

        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }

        _metrics.Dispose();
    }

    /// <summary>Wakes the engine thread after <paramref name="change"/>: a cache dropped or a turn cancelled may let turns go ahead.</summary>
    private void Wake(Action? change = null)
    {
        lock (_lock)
        {
            change?.Invoke();
            Monitor.PulseAll(_lock);
        }
    }

    private T Locked<T>(Func<T> read)
    {
        lock (_lock)
        {
            return read();
        }
    }

    private void Run()
    {
        while (NextPlan() is { } plan)
        {
            // Outside the lock: a callback may call into the engine, from this thread or others it waits for.
            var failed = TurnState.Notify(Execute(plan));
            Guarded(() => _scheduler.Settle(plan, failed));
        }

        lock (_lock)
        {
            _scheduler.FailAll(new ObjectDisposedException(nameof(ServingEngine), "The serving engine was disposed before the turn completed."));
        }
    }

    /// <summary>Waits for work and plans the next step; null once the engine is disposed.</summary>
    private StepPlan? NextPlan()
    {
        lock (_lock)
        {
            while (true)
            {
                while (!_disposed && _scheduler.Idle)
                {
                    Monitor.Wait(_lock);
                }

                if (_disposed)
                {
                    return null;
                }

                StepPlan? plan = null;
                Guarded(() => plan = _scheduler.Schedule());
                if (plan is { IsEmpty: false })
                {
                    return plan;
                }

                // Queued turns wait for a running turn, a cancellation or a dropped cache: each of them pulses.
                if (_scheduler.Stalled)
                {
                    Monitor.Wait(_lock);
                }
            }
        }
    }

    /// <summary>Runs the planned step through the model and samples; a failed forward fails the step's turns.</summary>
    private List<(TurnState Turn, int Token)> Execute(StepPlan plan)
    {
        var input = Locked(() => _runner.Prepare(plan));

        (float[]?[] Logits, int[]? Tokens) output;
        try
        {
            output = _runner.Forward(input.Inputs, input.Sampling);
        }
        catch (Exception e)
        {
            Guarded(() => FailStep(plan, e));

            return [];
        }

        List<(TurnState Turn, int Token)> sampled = [];
        Guarded(() => sampled = Apply(plan, output.Logits, output.Tokens));

        return sampled;
    }

    /// <summary>
    /// A failed forward fails the step's turns and drops their caches; one that lost the KV memory fails every running
    /// turn (retryable) and drops every cache, as no block can be trusted any more.
    /// </summary>
    private void FailStep(StepPlan plan, Exception error)
    {
        if (error is KvCacheLostException)
        {
            ServingLog.KvMemoryLost(_logger, error, _scheduler.Running, _caches.Count);
            _scheduler.FailRunning(plan, error);
            _caches.Forget();
        }
        else
        {
            ServingLog.StepFailed(_logger, error, plan.Count);
            _scheduler.FailPlanned(plan, error);
        }
    }

    /// <summary>Runs engine bookkeeping under the lock; a bug there fails the turns in flight instead of stopping the engine.</summary>
    private void Guarded(Action action)
    {
        lock (_lock)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                ServingLog.EngineFailed(_logger, e);
                _scheduler.FailAll(e);
            }
        }
    }

    /// <summary>
    /// Records what the step computed and samples every turn whose tokens have all been through the model, from its
    /// logits or, when the model sampled on its device, taking its token from <paramref name="deviceTokens"/>.
    /// </summary>
    private List<(TurnState Turn, int Token)> Apply(StepPlan plan, float[]?[] logits, int[]? deviceTokens)
    {
        var prefilled = 0;
        var sampled = new List<(TurnState Turn, int Token)>();
        for (var i = 0; i < plan.Count; i++)
        {
            var (turn, count, prefill) = plan.Turns[i];
            _caches.Commit(turn.Entry!, turn.Tokens, count);
            prefilled += prefill ? count : 0;
            if (turn.Pending > 0)
            {
                continue;
            }

            if (TurnSampler.Sample(turn, logits[i], deviceTokens?[i], _stopTokens) is { } token)
            {
                sampled.Add((turn, token));
            }
        }

        _counters.Stepped(plan.Count, prefilled, sampled.Count);
        return sampled;
    }
}
