namespace LlamaOrleans.Grains;

/// <summary>
/// One turn for <see cref="WorkerTurnClient"/>: the model, the request (its tokens the whole prompt), and the cache the
/// caller holds on a worker, if any; and, as the turn goes, the worker running it.
/// </summary>
public sealed class WorkerTurn
{
    public required string Model { get; init; }

    /// <summary>The whole prompt in <see cref="WorkerRequest.Tokens"/>; the client sends only what the worker's cache lacks.</summary>
    public required WorkerRequest Request { get; init; }

    /// <summary>The caller's cache on a worker, which this turn extends; null: a new one on an assigned worker.</summary>
    public KvHandle? Cache { get; init; }

    /// <summary>Whether a trimmed prompt may keep the cached turns that stay by shifting them (<see cref="CacheReuse"/>).</summary>
    public bool ContextShift { get; init; }

    /// <summary>The worker running the turn (or that ran it); null before one is chosen and after it was lost.</summary>
    public string? Worker { get; internal set; }

    /// <summary>Called when the worker was lost during the reply: the cache went with it (the worker is released).</summary>
    public Action? OnLost { get; init; }
}
