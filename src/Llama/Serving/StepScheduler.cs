using Llama.Model;
using Microsoft.Extensions.Logging;

namespace Llama.Serving;

/// <summary>
/// Decides what each step of a <see cref="ServingEngine"/> computes, as vLLM's scheduler does for its model runner:
/// turns wait in a queue, join the running ones as the conversation caches' KV blocks allow, and get blocks reserved
/// for every step, idle caches evicted least recently used first and then the most recently admitted turn preempted
/// (requeued first, recomputed later) when blocks run out. A step computes every running turn's newest token and
/// prompt chunks of at most <see cref="ServingOptions.PrefillChunkTokens"/> tokens in all; while prompts wait, up to
/// <see cref="ServingOptions.PrefillFirstSteps"/> steps in a row compute prompts alone. Cancelled turns leave at the
/// next step. Not thread-safe: the engine calls it under its lock.
/// </summary>
internal sealed class StepScheduler(
    ConversationCaches caches, RotaryEmbedding rope, ServingOptions options, ServingLimits limits, ServingCounters counters, ILogger logger)
{
    private readonly LinkedList<TurnState> _queue = new();
    private readonly List<TurnState> _running = [];
    private int _decodePauses;

    public int Queued => _queue.Count;

    public int Running => _running.Count;

    public bool Idle => _queue.Count == 0 && _running.Count == 0;

    /// <summary>Queued turns can only wait for something from outside: a running turn to end, a cancellation or a dropped cache.</summary>
    public bool Stalled => _running.Count == 0 && _queue.Count > 0 && !_queue.Any(t => t.Cancelled);

    /// <summary>Queues the turn; fails it with <see cref="ServingQueueFullException"/> instead when <see cref="ServingOptions.MaxQueuedRequests"/> turns already wait.</summary>
    public bool TryEnqueue(TurnState turn)
    {
        if (_queue.Count >= options.MaxQueuedRequests)
        {
            turn.Fail(new ServingQueueFullException(
                $"The serving queue is full: {_queue.Count} turns already wait (MaxQueuedRequests). Retry later or raise the limit."));
            return false;
        }

        // A cache about to be continued is the last one to evict.
        caches.Touch(turn.Request.CacheId);
        _queue.AddLast(turn);
        return true;
    }

    /// <summary>
    /// The next step's work, its blocks reserved. While prompts wait, up to <see cref="ServingOptions.PrefillFirstSteps"/>
    /// steps in a row leave decoding turns out and give the step to prompts alone. Empty when nothing can go ahead.
    /// </summary>
    public StepPlan Schedule()
    {
        foreach (var turn in _running.Concat(_queue).Where(t => t.Cancelled).ToArray())
        {
            Fail(turn, new OperationCanceledException(turn.CancellationToken));
        }

        var pause = _decodePauses < options.PrefillFirstSteps && _running.Any(t => t.Decoding)
            && (_queue.Count > 0 || _running.Any(t => !t.Decoding && t.Pending > 0));
        var plan = Schedule(pauseDecoding: pause);
        if (pause && plan.Count == 0)
        {
            // No prompt could go ahead (memory): decoding must not wait for it.
            pause = false;
            plan = Schedule(pauseDecoding: false);
        }

        _decodePauses = pause ? _decodePauses + 1 : 0;
        return new StepPlan(plan);
    }

    /// <summary>The turn ended normally: it leaves the batch and its cache stays for the conversation's next turn.</summary>
    public void Complete(TurnState turn)
    {
        _running.Remove(turn);
        var (tokens, hash) = caches.Release(turn.Entry!);
        counters.Completed();
        turn.Complete(turn.Outcome(tokens, hash));
    }

    /// <summary>After the step's token callbacks: turns whose callback threw fail, finished ones leave the batch.</summary>
    public void Settle(StepPlan plan, IReadOnlyDictionary<TurnState, Exception> failed)
    {
        foreach (var (turn, _, _) in plan.Turns)
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

    /// <summary>Ends a turn with an error; one that had started leaves its cache unusable, so the cache is dropped.</summary>
    public void Fail(TurnState turn, Exception error)
    {
        _running.Remove(turn);
        _queue.Remove(turn);
        if (turn.Admitted && turn.Entry is { } entry)
        {
            caches.Discard(entry);
        }

        turn.Fail(error);
    }

    /// <summary>Fails every running and queued turn.</summary>
    public void FailAll(Exception error) => Fail(_running.Concat(_queue), error);

    /// <summary>Fails every running turn and those of <paramref name="plan"/>: the KV memory they computed is gone.</summary>
    public void FailRunning(StepPlan plan, Exception error) => Fail(_running.Concat(plan.Turns.Select(t => t.Turn)), error);

    /// <summary>Fails the turns of <paramref name="plan"/>: their step failed.</summary>
    public void FailPlanned(StepPlan plan, Exception error) => Fail(plan.Turns.Select(t => t.Turn), error);

    private void Fail(IEnumerable<TurnState> turns, Exception error)
    {
        foreach (var turn in turns.Distinct().ToArray())
        {
            Fail(turn, error);
        }
    }

    private List<ScheduledTurn> Schedule(bool pauseDecoding)
    {
        var plan = new List<ScheduledTurn>();
        var promptTokens = options.PrefillChunkTokens;
        foreach (var turn in _running.ToArray())
        {
            if (!_running.Contains(turn) || (pauseDecoding && turn.Decoding))
            {
                continue;
            }

            var count = turn.Decoding ? turn.Pending : Math.Min(turn.Pending, promptTokens);
            if (count > 0 && Reserve(turn, count))
            {
                plan.Add(new ScheduledTurn(turn, count, !turn.Decoding));
                promptTokens -= turn.Decoding ? 0 : count;
            }
        }

        for (var node = _queue.First; node is not null && _running.Count < limits.MaxRows && promptTokens > 0;)
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
            var count = Math.Min(turn.Pending, promptTokens);
            if (Reserve(turn, count))
            {
                plan.Add(new ScheduledTurn(turn, count, Prefill: true));
                promptTokens -= count;
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
            if (!caches.CanAdmit(turn.Entry, 0, turn.Tokens))
            {
                return Admission.NoRoom;
            }

            caches.MatchPrefix(turn.Entry!, turn.Tokens);
            _running.Add(turn);
            return Admission.Admitted;
        }

        var request = turn.Request;
        switch (caches.TryResume(request, rope, out var entry))
        {
            case CacheResume.Busy:
                return Admission.Wait;
            case CacheResume.Missed:
                counters.Missed();
                Fail(turn, new CacheMissException(entry is null
                    ? $"Cache '{request.CacheId}' is not held here."
                    : $"Cache '{request.CacheId}' does not hold the {request.ReuseTokens} tokens asked for."));
                return Admission.Wait;
        }

        var prompt = ConversationCaches.Prompt(entry, request);
        // The last prompt token is always computed: its logits start the reply.
        var keep = Math.Min(request.ReuseTokens, prompt.Length - 1);
        if (!caches.CanAdmit(entry, keep, prompt))
        {
            return Admission.NoRoom;
        }

        turn.Entry = caches.Claim(request.CacheId, entry, keep, turn);
        turn.Admitted = true;
        turn.Tokens.AddRange(prompt);
        turn.PromptLength = prompt.Length;
        turn.MaxGenLen = limits.MaxGenLen(request, prompt.Length);
        var hit = options.PrefixCaching ? caches.MatchPrefix(turn.Entry, prompt) : 0;
        counters.Admitted(request.ReuseTokens > 0, request.ShiftCount > 0, hit);
        turn.PrefilledTokens = turn.Pending;
        _running.Add(turn);
        return Admission.Admitted;
    }

    /// <summary>
    /// Gets <paramref name="turn"/> blocks for its next <paramref name="count"/> positions: evicting idle caches,
    /// then preempting the most recently admitted turns. False when that preempted the turn itself.
    /// </summary>
    private bool Reserve(TurnState turn, int count)
    {
        while (!caches.TryReserve(turn.Entry!, count))
        {
            if (caches.EvictIdle())
            {
                counters.Evicted();
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
        caches.Truncate(turn.Entry!, 0);
        turn.Decoding = false;
        _queue.AddFirst(turn);
        counters.Preempted();
        ServingLog.Preempted(logger, turn.Request.CacheId, turn.Tokens.Count);
    }

    private enum Admission
    {
        Admitted,
        Wait,
        NoRoom,
    }
}
