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
    private readonly ServingOptions _options;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly ConversationCaches _caches;
    private readonly LinkedList<TurnState> _queue = new();
    private readonly List<TurnState> _running = [];
    private readonly ServingMetrics _metrics;
    private readonly Thread _thread;
    private readonly int _maxRows;
    private readonly int _maxTokens;
    private bool _disposed;
    private long _turns;
    private long _prefilled;
    private long _generated;
    private long _hits;
    private long _misses;
    private long _preemptions;
    private long _prefixHitTokens;
    private long _steps;
    private long _shifts;
    private int _decodePauses;

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
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _caches = new ConversationCaches(_model.KvCache);
        _maxRows = Math.Min(options.MaxBatchSequences, _model.MaxBatchSize);
        // A sequence alone may take the whole pool, but never more than max_seq_len positions.
        _maxTokens = (int)Math.Min(_model.MaxSeqLen, (long)_model.KvCache.BlockCount * _model.KvCache.BlockSize);
        _metrics = new ServingMetrics(this,
            () => Locked(() => _queue.Count), () => Locked(() => _running.Count),
            () => Locked(() => _caches.Allocator.UsedBlocks), () => Locked(() => _caches.Allocator.FreeBlocks));
        _thread = new Thread(Run) { IsBackground = true, Name = "Llama serving engine" };
        _thread.Start();
        _logger.LogInformation(
            "Serving engine started: {Blocks} KV blocks of {BlockSize} positions, up to {Rows} sequences and {Chunk} prompt tokens per step",
            _model.KvCache.BlockCount, _model.KvCache.BlockSize, _maxRows, options.PrefillChunkTokens);
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
        Validate(request);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TurnOutcome>(cancellationToken);
        }

        var seed = request.Options.Seed ?? (ulong)Random.Shared.NextInt64();
        var turn = new TurnState(request, onToken, new SeededRandom(seed), cancellationToken);
        turn.Registration = cancellationToken.Register(() =>
        {
            turn.Cancelled = true;
            lock (_lock)
            {
                Monitor.PulseAll(_lock);
            }
        });
        lock (_lock)
        {
            if (_disposed || _queue.Count >= _options.MaxQueuedRequests)
            {
                turn.Registration.Unregister();
                ObjectDisposedException.ThrowIf(_disposed, this);
                return Task.FromException<TurnOutcome>(new ServingQueueFullException(
                    $"The serving queue is full: {_queue.Count} turns already wait (MaxQueuedRequests). Retry later or raise the limit."));
            }

            if (_caches.TryGet(request.CacheId, out var entry))
            {
                // A cache about to be continued is the last one to evict.
                entry.LastUse = _caches.NextUse();
            }

            _queue.AddLast(turn);
            Monitor.PulseAll(_lock);
        }

        return turn.Completion.Task;
    }

    public ServingStatistics Statistics()
    {
        lock (_lock)
        {
            var allocator = _caches.Allocator;
            return new ServingStatistics(_turns, _prefilled, _generated, _hits, _misses, _caches.Evictions, _preemptions,
                _caches.Count, _queue.Count, _running.Count, allocator.UsedBlocks, allocator.FreeBlocks, allocator.BlockSize,
                _model.KvCache.BytesPerToken, _caches.TokensHeld, _prefixHitTokens, _steps, _shifts);
        }
    }

    /// <summary>Forgets one conversation's cache (a turn running on it keeps its blocks until it ends); true when it was held.</summary>
    public bool Drop(string cacheId)
    {
        ArgumentNullException.ThrowIfNull(cacheId);
        lock (_lock)
        {
            var dropped = _caches.Drop(cacheId);
            Monitor.PulseAll(_lock);
            return dropped;
        }
    }

    public void DropAll()
    {
        lock (_lock)
        {
            foreach (var id in _caches.Ids())
            {
                _caches.Drop(id);
            }

            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>The block table of a cache, for tests that check what shares and what copies.</summary>
    internal IReadOnlyList<int>? BlocksOf(string cacheId)
    {
        lock (_lock)
        {
            return _caches.TryGet(cacheId, out var entry) ? entry.Blocks.ToArray() : null;
        }
    }

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

    private void Validate(TurnRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.CacheId, nameof(request));
        ArgumentNullException.ThrowIfNull(request.NewTokens, nameof(request));
        ArgumentNullException.ThrowIfNull(request.Options, nameof(request));
        request.Options.Validate();
        if (request.Options.Echo)
        {
            throw new ArgumentException("Serving returns generated tokens only: echo (and the prompt's log-probabilities) is not supported.", nameof(request));
        }

        if (request.TopLogprobs < 0 || request.TopLogprobs > TurnRequest.MaxTopLogprobs || (request.TopLogprobs > 0 && !request.Options.Logprobs))
        {
            throw new ArgumentException(
                $"TopLogprobs must be 0 to {TurnRequest.MaxTopLogprobs}, and above 0 only with Logprobs, got {request.TopLogprobs}.", nameof(request));
        }

        request.Stop?.Validate();
        if (request.ShiftFrom < 0 || request.ShiftCount < 0)
        {
            throw new ArgumentException($"A context shift needs a position and count of 0 or more, got {request.ShiftFrom} and {request.ShiftCount}.", nameof(request));
        }

        if (request.ReuseTokens < 0)
        {
            throw new ArgumentException($"ReuseTokens must be 0 or more, got {request.ReuseTokens}.", nameof(request));
        }

        var length = (long)request.ReuseTokens + request.NewTokens.Count;
        if (length == 0)
        {
            throw new ArgumentException("The prompt is empty: it needs at least one token (e.g. BOS).", nameof(request));
        }

        if (length > _maxTokens)
        {
            throw new ArgumentException(
                $"A prompt of {length} tokens can never fit: a sequence holds at most {_maxTokens} " +
                $"(max_seq_len {_model.MaxSeqLen}, KV pool of {_model.KvCache.BlockCount} blocks of {_model.KvCache.BlockSize}).", nameof(request));
        }

        foreach (var token in request.NewTokens)
        {
            if (token < 0 || token >= _model.Args.VocabSize)
            {
                throw new ArgumentException($"Token id {token} is outside the vocabulary of {_model.Args.VocabSize}.", nameof(request));
            }
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
            var sampled = Execute(plan);
            var failed = new Dictionary<TurnState, Exception>();
            // Outside the lock: a callback may call into the engine, from this thread or others it waits for.
            foreach (var (turn, token) in sampled)
            {
                try
                {
                    turn.Notify(token);
                }
                catch (Exception e)
                {
                    failed[turn] = e;
                }
            }

            lock (_lock)
            {
                Guarded(() => Settle(plan, failed));
            }
        }

        lock (_lock)
        {
            var disposed = new ObjectDisposedException(nameof(ServingEngine), "The serving engine was disposed before the turn completed.");
            foreach (var turn in _running.Concat(_queue).ToArray())
            {
                Fail(turn, disposed);
            }
        }
    }

    /// <summary>Waits for work and plans the next step; null once the engine is disposed.</summary>
    private List<(TurnState Turn, int Count)>? NextPlan()
    {
        lock (_lock)
        {
            while (true)
            {
                while (!_disposed && _queue.Count == 0 && _running.Count == 0)
                {
                    Monitor.Wait(_lock);
                }

                if (_disposed)
                {
                    return null;
                }

                List<(TurnState Turn, int Count)> plan = [];
                Guarded(() => plan = Schedule());
                if (plan.Count > 0)
                {
                    return plan;
                }

                // Queued turns wait for a running turn, a cancellation or a dropped cache: each of them pulses.
                if (_running.Count == 0 && _queue.Count > 0 && !_queue.Any(t => t.Cancelled))
                {
                    Monitor.Wait(_lock);
                }
            }
        }
    }

    /// <summary>Runs the planned step through the model and samples; a failed forward fails the step's turns.</summary>
    private List<(TurnState Turn, int Token)> Execute(List<(TurnState Turn, int Count)> plan)
    {
        SequenceInput[] inputs;
        var onDevice = _model as IDeviceSampledModel is { SamplesOnDevice: true } ? (IDeviceSampledModel)_model : null;
        RowSampling[]? sampling = null;
        lock (_lock)
        {
            inputs = plan.Select(p => new SequenceInput(
                p.Turn.Entry!.Blocks.ToArray(), p.Turn.Entry.Tokens.Count, p.Turn.Tokens.GetRange(p.Turn.Entry.Tokens.Count, p.Count))).ToArray();
            sampling = onDevice is null ? null : plan.Select(p => DeviceRow(p.Turn, p.Count)).ToArray();
        }

        float[]?[] logits;
        int[]? tokens = null;
        try
        {
            if (onDevice is not null)
            {
                var step = onDevice.ForwardSampled(inputs, sampling!);
                (tokens, logits) = (step.Tokens, step.Logits);
            }
            else
            {
                logits = _model.Forward(inputs);
            }
        }
        catch (KvCacheLostException e)
        {
            lock (_lock)
            {
                // No block can be trusted any more: every running turn fails (retryable) and every cache is recomputed.
                _logger.LogWarning(e, "The model lost its KV memory; {Running} running turns fail and {Caches} caches are dropped", _running.Count, _caches.Count);
                foreach (var turn in _running.Concat(plan.Select(p => p.Turn)).Distinct().ToArray())
                {
                    Fail(turn, e);
                }

                _caches.Forget();
            }

            return [];
        }
        catch (Exception e)
        {
            lock (_lock)
            {
                _logger.LogError(e, "A forward step of {Sequences} sequences failed; their turns fail and their caches are dropped", plan.Count);
                foreach (var (turn, _) in plan)
                {
                    Fail(turn, e);
                }
            }

            return [];
        }

        List<(TurnState Turn, int Token)> sampled = [];
        lock (_lock)
        {
            Guarded(() => sampled = Apply(plan, logits, tokens));
        }

        return sampled;
    }

    /// <summary>Runs engine bookkeeping; a bug there fails the turns in flight instead of stopping the engine.</summary>
    private void Guarded(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            _logger.LogCritical(e, "The serving engine failed; every turn in flight fails");
            foreach (var turn in _running.Concat(_queue).ToArray())
            {
                Fail(turn, e);
            }
        }
    }

    /// <summary>
    /// The next step's work. While prompts wait, up to <see cref="ServingOptions.PrefillFirstSteps"/> steps in a row
    /// leave decoding turns out and give the step to prompts alone.
    /// </summary>
    private List<(TurnState Turn, int Count)> Schedule()
    {
        RemoveCancelled();
        var pause = _decodePauses < _options.PrefillFirstSteps && _running.Any(t => t.Decoding)
            && (_queue.Count > 0 || _running.Any(t => !t.Decoding && t.Pending > 0));
        var plan = Schedule(pauseDecoding: pause);
        if (pause && plan.Count == 0)
        {
            // No prompt could go ahead (memory): decoding must not wait for it.
            pause = false;
            plan = Schedule(pauseDecoding: false);
        }

        _decodePauses = pause ? _decodePauses + 1 : 0;
        return plan;
    }

    private List<(TurnState Turn, int Count)> Schedule(bool pauseDecoding)
    {
        var plan = new List<(TurnState Turn, int Count)>();
        var budget = _options.PrefillChunkTokens;
        foreach (var turn in _running.ToArray())
        {
            if (!_running.Contains(turn) || (pauseDecoding && turn.Decoding))
            {
                continue;
            }

            var count = turn.Decoding ? turn.Pending : Math.Min(turn.Pending, budget);
            if (count > 0 && Reserve(turn, count))
            {
                plan.Add((turn, count));
                budget -= turn.Decoding ? 0 : count;
            }
        }

        for (var node = _queue.First; node is not null && _running.Count < _maxRows && budget > 0;)
        {
            var next = node.Next;
            var turn = node.Value;
            switch (TryAdmit(turn))
            {
                case Admission.Wait:
                    node = next;
                    continue;
                case Admission.NoRoom:
                    return plan;
            }

            _queue.Remove(node);
            var count = Math.Min(turn.Pending, budget);
            if (Reserve(turn, count))
            {
                plan.Add((turn, count));
                budget -= count;
            }

            node = next;
        }

        return plan;
    }

    private Admission TryAdmit(TurnState turn)
    {
        if (turn.Admitted)
        {
            // Preempted: its tokens so far are its prompt now, recomputed (partly from still-registered blocks).
            if (!_caches.CanAdmit(turn.Entry, 0, turn.Tokens))
            {
                return Admission.NoRoom;
            }

            _caches.MatchPrefix(turn.Entry!, turn.Tokens);
            _running.Add(turn);
            return Admission.Admitted;
        }

        var request = turn.Request;
        _caches.TryGet(request.CacheId, out var entry);
        if (entry?.Turn is not null)
        {
            return Admission.Wait;
        }

        var reuse = request.ReuseTokens;
        var shifted = request.ShiftCount == 0 || (entry is not null && ReuseAfterShift(entry, request, reuse)
            && _caches.TryShift(entry, request.ShiftFrom, request.ShiftCount, _model.Rope));
        if (!shifted || (reuse > 0 && (entry is null || entry.Tokens.Count < reuse || entry.PrefixHash(reuse) != request.ReuseHash)))
        {
            _misses++;
            _queue.Remove(turn);
            Fail(turn, new CacheMissException(entry is null
                ? $"Cache '{request.CacheId}' is not held here."
                : $"Cache '{request.CacheId}' does not hold the {reuse} tokens asked for."));
            return Admission.Wait;
        }

        var prompt = reuse > 0 ? entry!.Tokens.Take(reuse).Concat(request.NewTokens).ToArray() : request.NewTokens.ToArray();
        // The last prompt token is always computed: its logits start the reply.
        var keep = Math.Min(reuse, prompt.Length - 1);
        if (!_caches.CanAdmit(entry, keep, prompt))
        {
            return Admission.NoRoom;
        }

        _hits += reuse > 0 ? 1 : 0;
        _shifts += request.ShiftCount > 0 ? 1 : 0;
        entry ??= _caches.Add(request.CacheId);
        entry.Truncate(keep, _caches.Allocator);
        entry.Turn = turn;
        turn.Entry = entry;
        turn.Admitted = true;
        turn.Tokens.AddRange(prompt);
        turn.PromptLength = prompt.Length;
        turn.Budget = Math.Min(request.Options.MaxGenLen ?? (_model.MaxSeqLen - 1), _maxTokens - prompt.Length);
        var hit = _options.PrefixCaching ? _caches.MatchPrefix(entry, prompt) : 0;
        _prefixHitTokens += hit;
        if (hit > 0)
        {
            _metrics.PrefixHit(hit);
        }

        turn.PrefilledTokens = turn.Pending;
        _running.Add(turn);
        return Admission.Admitted;
    }

    /// <summary>
    /// Whether the cache, once shifted as <paramref name="request"/> asks, would hold the <paramref name="reuse"/>
    /// tokens it names: checked before shifting, so a turn that would miss anyway leaves the cache as it was.
    /// </summary>
    private static bool ReuseAfterShift(CacheEntry entry, TurnRequest request, int reuse)
    {
        var (from, count) = (request.ShiftFrom, request.ShiftCount);
        if (from + (long)count > entry.Tokens.Count || reuse > entry.Tokens.Count - count)
        {
            return false;
        }

        var hash = entry.PrefixHash(Math.Min(from, reuse));
        for (var i = from; i < reuse; i++)
        {
            hash = TokenHash.Extend(hash, entry.Tokens[i + count]);
        }

        return hash == request.ReuseHash;
    }

    /// <summary>
    /// Gets <paramref name="turn"/> blocks for its next <paramref name="count"/> positions: evicting idle caches,
    /// then preempting the most recently admitted turns. False when that preempted the turn itself.
    /// </summary>
    private bool Reserve(TurnState turn, int count)
    {
        while (!_caches.TryReserve(turn.Entry!, count))
        {
            if (_caches.EvictIdle())
            {
                _metrics.Eviction();
                continue;
            }

            var victim = _running[^1];
            Preempt(victim);
            if (victim == turn)
            {
                return false;
            }
        }

        return true;
    }

    private void Preempt(TurnState turn)
    {
        _running.Remove(turn);
        turn.Entry!.Truncate(0, _caches.Allocator);
        turn.Decoding = false;
        _queue.AddFirst(turn);
        _preemptions++;
        _metrics.Preemption();
        _logger.LogDebug("Preempted the turn on cache {CacheId} after {Tokens} tokens: KV blocks ran out", turn.Request.CacheId, turn.Tokens.Count);
    }

    /// <summary>
    /// How the device samples a turn this step: a turn that will sample draws from its seeded generator exactly as the CPU
    /// sampler would, so a seed gives the same tokens on either side.
    /// </summary>
    private static RowSampling DeviceRow(TurnState turn, int count)
    {
        var options = turn.Request.Options;
        var samples = turn.Pending == count && turn.Generated < turn.Budget;
        var draw = samples && options.Temperature != 0 ? turn.Random.NextDouble() : 0;
        return new RowSampling(options.Temperature, options.TopP, draw, samples && turn.Logprobs is not null);
    }

    /// <summary>
    /// Records what the step computed and samples every turn whose tokens have all been through the model, from its
    /// logits or, when the model sampled on its device, taking its token from <paramref name="deviceTokens"/>.
    /// </summary>
    private List<(TurnState Turn, int Token)> Apply(List<(TurnState Turn, int Count)> plan, float[]?[] logits, int[]? deviceTokens)
    {
        var prefilled = 0;
        var sampled = new List<(TurnState Turn, int Token)>();
        for (var i = 0; i < plan.Count; i++)
        {
            var (turn, count) = plan[i];
            _caches.Commit(turn.Entry!, turn.Tokens, count);
            prefilled += turn.Decoding ? 0 : count;
            if (turn.Pending > 0)
            {
                continue;
            }

            if (turn.Generated >= turn.Budget)
            {
                turn.Finish = FinishReason.Length;
                continue;
            }

            var options = turn.Request.Options;
            var token = deviceTokens?[i] ?? Sampler.Sample(logits[i]!, options.Temperature, options.TopP, turn.Random);
            turn.Sampled(logits[i], token);
            turn.Tokens.Add(token);
            sampled.Add((turn, token));
            turn.Decoding = true;
            if (_stopTokens.Contains(token))
            {
                turn.Finish = FinishReason.Stop;
            }
            else if (turn.StopText?.Add(token) == true)
            {
                // A stop sequence ends the turn here: no token after it is generated, and its place in the batch frees.
                turn.Finish = FinishReason.Stop;
                turn.StoppedOnText = true;
            }
            else if (turn.Generated >= turn.Budget)
            {
                turn.Finish = FinishReason.Length;
            }
        }

        _prefilled += prefilled;
        _generated += sampled.Count;
        _steps++;
        _metrics.Step(plan.Count, prefilled, sampled.Count);
        return sampled;
    }

    /// <summary>After the token callbacks: turns whose callback threw fail, finished ones leave the batch.</summary>
    private void Settle(List<(TurnState Turn, int Count)> plan, Dictionary<TurnState, Exception> failed)
    {
        foreach (var (turn, _) in plan)
        {
            if (turn.Completion.Task.IsCompleted)
            {
                continue;
            }

            if (failed.TryGetValue(turn, out var error))
            {
                Fail(turn, error);
            }
            else if (turn.Finish is not null)
            {
                Complete(turn);
            }
        }
    }

    private void Complete(TurnState turn)
    {
        var entry = turn.Entry!;
        _running.Remove(turn);
        entry.Turn = null;
        entry.LastUse = _caches.NextUse();
        _turns++;
        TurnOutcome outcome;
        if (entry.Detached)
        {
            // Dropped while it ran: nothing stays cached.
            entry.Truncate(0, _caches.Allocator);
            outcome = turn.Outcome(0, TokenHash.Empty);
        }
        else
        {
            outcome = turn.Outcome(entry.Tokens.Count, entry.PrefixHash(entry.Tokens.Count));
        }

        turn.Registration.Unregister();
        turn.Completion.TrySetResult(outcome);
    }

    private void RemoveCancelled()
    {
        foreach (var turn in _running.Concat(_queue).Where(t => t.Cancelled).ToArray())
        {
            Fail(turn, new OperationCanceledException(turn.CancellationToken));
        }
    }

    /// <summary>Ends a turn with an error; one that had started leaves its cache unusable, so the cache is dropped.</summary>
    private void Fail(TurnState turn, Exception error)
    {
        _running.Remove(turn);
        _queue.Remove(turn);
        if (turn.Admitted && turn.Entry is { } entry)
        {
            _caches.Discard(entry);
        }

        turn.Registration.Unregister();
        if (error is OperationCanceledException)
        {
            turn.Completion.TrySetCanceled(turn.CancellationToken);
        }
        else
        {
            turn.Completion.TrySetException(error);
        }
    }

    private enum Admission
    {
        Admitted,
        Wait,
        NoRoom,
    }
}
