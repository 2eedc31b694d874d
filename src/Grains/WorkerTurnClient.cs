using System.Runtime.CompilerServices;
using Llama.Serving;
using Microsoft.Extensions.Logging;

namespace LlamaOrleans.Grains;

/// <summary>
/// Runs turns on model workers for conversations and stateless requests alike: takes the worker holding the caller's
/// cache or has the registry assign one, sends only the tokens that cache lacks (recomputing the whole prompt after a
/// cache miss), and moves to another worker when one cannot be reached before its reply starts.
/// </summary>
public sealed partial class WorkerTurnClient(IGrainFactory grains, ILogger<WorkerTurnClient> logger)
{
    /// <summary>Workers tried after the first when they cannot be reached before the reply starts.</summary>
    private const int Failovers = 2;

    private IModelRegistryGrain Registry => grains.GetGrain<IModelRegistryGrain>(0);

    /// <summary>Whether <paramref name="e"/> says a worker or silo cannot be reached (rather than that the request is wrong).</summary>
    public static bool IsUnreachable(Exception e) =>
        e is ConversationException { Code: ConversationErrorCode.Unavailable } or SiloUnavailableException or OrleansMessageRejectionException or TimeoutException
        || (e is AggregateException a && a.InnerExceptions.Any(IsUnreachable))
        || (e.InnerException is { } inner && IsUnreachable(inner));

    /// <summary>The worker holding <paramref name="cache"/>, or a newly assigned one for <paramref name="model"/> (never <paramref name="exclude"/>).</summary>
    public async Task<(IModelWorkerGrain Worker, string Key)> Worker(string model, KvHandle? cache, string? exclude = null)
    {
        var key = cache is not null && cache.Worker != exclude ? cache.Worker : await Registry.AssignWorker(model, exclude);
        return (grains.GetGrain<IModelWorkerGrain>(key), key);
    }

    /// <summary>
    /// Streams the reply from a worker: the cached one with only the tokens its cache lacks, or the whole prompt after
    /// a cache miss; a worker that cannot be reached before the reply starts is released and replaced by another.
    /// </summary>
    /// <exception cref="ConversationException">
    /// <see cref="ConversationErrorCode.Unavailable"/>: the worker was lost during the reply (<see cref="WorkerTurn.OnLost"/>).
    /// </exception>
    public async IAsyncEnumerable<WorkerEvent> Run(WorkerTurn turn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var prompt = turn.Request.Tokens;
        string? failed = null;
        var recompute = false;
        for (var attempt = 0; ; attempt++)
        {
            IModelWorkerGrain worker;
            if (turn.Worker is null)
            {
                (worker, turn.Worker) = await Worker(turn.Model, turn.Cache, failed);
            }
            else
            {
                worker = grains.GetGrain<IModelWorkerGrain>(turn.Worker);
            }

            var key = turn.Worker;
            var (shiftFrom, shiftCount, reuse) = !recompute && turn.Cache is { } cache && cache.Worker == key
                ? CacheReuse.Plan(cache.Tokens, prompt, turn.ContextShift)
                : (0, 0, 0);
            var request = turn.Request with
            {
                ShiftFrom = shiftFrom,
                ShiftCount = shiftCount,
                ReuseTokens = reuse,
                ReuseHash = TokenHash.Of(prompt.Take(reuse)),
                Tokens = [.. prompt.Skip(reuse)],
            };

            var stream = worker.Generate(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
            var started = false;
            var retry = false;
            try
            {
                while (true)
                {
                    WorkerEvent e;
                    try
                    {
                        if (!await stream.MoveNextAsync())
                        {
                            break;
                        }

                        e = stream.Current;
                    }
                    catch (Exception ex) when (!started && attempt < Failovers && IsUnreachable(ex))
                    {
                        LogMoving(ex, key, request.CacheId);
                        await Registry.ReleaseWorker(key);
                        failed = key;
                        turn.Worker = null;
                        recompute = true;
                        retry = true;
                        break;
                    }
                    catch (Exception ex) when (IsUnreachable(ex) && ex is not ConversationException)
                    {
                        // Lost mid-reply (or no worker left to try): a retry starts afresh elsewhere.
                        LogLost(ex, key, request.CacheId);
                        turn.Worker = null;
                        turn.OnLost?.Invoke();
                        await Release(key);
                        throw new ConversationException(ConversationErrorCode.Unavailable,
                            "The model worker was lost during the reply; send the same message id again to redo the turn on another worker.");
                    }

                    if (e.CacheMiss)
                    {
                        // The worker lost the cache (evicted, restarted): recompute from the whole prompt.
                        recompute = true;
                        retry = true;
                        break;
                    }

                    started = true;
                    yield return e;
                }
            }
            finally
            {
                try
                {
                    await stream.DisposeAsync();
                }
                catch (Exception ex) when (IsUnreachable(ex))
                {
                    // The worker's silo is gone, and the stream with it.
                }
            }

            if (!retry)
            {
                yield break;
            }
        }
    }

    /// <summary>Drops a cache on its worker and releases the worker; a worker that is gone took its caches with it.</summary>
    public async Task DropCache(string worker, string cacheId)
    {
        try
        {
            await grains.GetGrain<IModelWorkerGrain>(worker).DropCache(cacheId);
            await Registry.ReleaseWorker(worker);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or ConversationException || IsUnreachable(e))
        {
            // The worker is gone (silo stopping or lost) and its caches with it; the registry re-learns its counts.
        }
    }

    private async Task Release(string worker)
    {
        try
        {
            await Registry.ReleaseWorker(worker);
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            // The registry re-learns its workers as silos register; nothing to undo here.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker} unreachable for cache {CacheId}; moving")]
    private partial void LogMoving(Exception exception, string worker, string cacheId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker} lost during a turn of cache {CacheId}")]
    private partial void LogLost(Exception exception, string worker, string cacheId);
}
