using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Llama.Generation;
using Llama.Model;
using Llama.Serving;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>
/// Serves turns of one model on its silo. Reentrant: every conversation's turn goes straight to the model's
/// serving engine, which batches all running turns into each step on a thread of its own, never on the grain
/// scheduler.
/// </summary>
[Reentrant]
[ModelWorkerPlacement]
public sealed class ModelWorkerGrain(ModelHost host, ILocalSiloDetails silo, TurnGate gate) : Grain, IModelWorkerGrain
{
    /// <summary>How often a turn that lost its split model's rank before producing a token runs (placement, then pools).</summary>
    private const int LostRankAttempts = 3;

    private HostedModel? _model;
    private string _modelName = string.Empty;

    /// <summary>The model; one that failed to load when the worker activated is asked for again (ModelHost paces the retries).</summary>
    private async ValueTask<HostedModel> ModelAsync() => _model ??= await LoadAsync();

    /// <summary>The first worker on a silo loads the weights: keep that off the grain scheduler.</summary>
    private Task<HostedModel> LoadAsync() => Task.Run(() => host.Get(_modelName));

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (model, siloKey) = ModelWorkerKey.Parse(this.GetPrimaryKeyString());
        if (siloKey != silo.SiloAddress.ToParsableString())
        {
            throw new ConversationException(ConversationErrorCode.Unavailable, $"Worker {this.GetPrimaryKeyString()} activated on the wrong silo {silo.SiloAddress}.");
        }

        _modelName = model;
        try
        {
            _model = await LoadAsync();
        }
        catch (ConversationException e) when (e.Code == ConversationErrorCode.ModelUnavailable)
        {
            // The worker stays active and answers each call with the failure (ModelHost logs it once, and retries the
            // load now and then), rather than failing activations that Orleans would log on every call.
        }
    }

    public async IAsyncEnumerable<WorkerEvent> Generate(WorkerRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // A draining silo finishes the turns it has and refuses new ones, which the conversation then takes elsewhere.
        using var admission = gate.Enter();
        var model = await ModelAsync();
        if (model.ConfirmPlacement is { } confirm)
        {
            await confirm(cancellationToken);
        }

        var channel = Channel.CreateUnbounded<WorkerEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // Ending the stream early (caller cancelled or went away) takes the turn out of the engine's batch too.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = Run(model, request, channel.Writer, stop.Token);
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await work;
        }
    }

    /// <summary>
    /// Runs the turn in the model's engine, writing the reply's text as it comes, paced by the model's stream interval,
    /// and the result at the end.
    /// </summary>
    private static async Task Run(HostedModel model, WorkerRequest request, ChannelWriter<WorkerEvent> events, CancellationToken cancellationToken)
    {
        var tokenizer = model.Tokenizer;
        var stops = model.StopTokens;
        var decoder = new ReplyDecoder(tokenizer);
        var turn = new TurnRequest(request.CacheId, request.Tokens, new GenerationOptions
        {
            Temperature = request.Temperature,
            TopP = request.TopP,
            MaxGenLen = request.MaxReplyTokens,
            Seed = request.Seed,
            Logprobs = request.Logprobs,
        })
        {
            ReuseTokens = request.ReuseTokens,
            ReuseHash = request.ReuseHash,
            ShiftFrom = request.ShiftFrom,
            ShiftCount = request.ShiftCount,
            TopLogprobs = request.TopLogprobs,
            Stop = request.Stop is { Length: > 0 } stop ? new StopSequences(tokenizer, stop) : null,
        };
        var pacer = new ReplyPacer(model.StreamInterval, TimeProvider.System);
        var generated = 0;
        try
        {
            TurnOutcome outcome;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    // Tokens arrive on the engine's thread: only hand them over there.
                    outcome = await model.Engine.RunAsync(turn, (token, logprobs) =>
                    {
                        generated++;
                        if (!stops.Contains(token) && pacer.Add(decoder.Add(token, logprobs, out var described), described) is { } piece)
                        {
                            events.TryWrite(piece);
                        }
                    }, cancellationToken);
                    break;
                }
                catch (KvCacheLostException) when (generated == 0 && attempt < LostRankAttempts)
                {
                    // A split model's rank moved before this turn produced anything (its silo died between turns): the
                    // KV caches are gone, so a turn that reused one is a cache miss for the caller to re-send, and a
                    // fresh one simply runs again on the placement as it is now.
                    if (request.ReuseTokens > 0 || request.ShiftCount > 0)
                    {
                        throw new CacheMissException($"Cache {request.CacheId} was lost with a rank of the model.");
                    }
                }
            }

            events.TryWrite(pacer.Finish(decoder.Flush(), new WorkerResult
            {
                Tokens = [.. outcome.Tokens],
                Text = tokenizer.Decode(outcome.Tokens),
                FinishReason = outcome.FinishReason == FinishReason.Stop ? "stop" : "length",
                PrefilledTokens = outcome.PrefilledTokens,
                CachedTokens = outcome.CachedTokens,
                CachedHash = outcome.CachedHash,
            }));
            events.Complete();
        }
        catch (CacheMissException)
        {
            events.TryWrite(new WorkerEvent { CacheMiss = true });
            events.Complete();
        }
        catch (ArgumentException e)
        {
            events.Complete(new ConversationException(ConversationErrorCode.InvalidRequest, e.Message));
        }
        catch (ServingQueueFullException e)
        {
            events.Complete(new ConversationException(ConversationErrorCode.Busy, e.Message));
        }
        catch (KvCacheLostException e)
        {
            // A rank of a split model was lost: the turn can be retried once it is placed again.
            events.Complete(new ConversationException(ConversationErrorCode.Unavailable, $"Model '{model.Name}' lost a rank during the turn; retry. {e.Message}"));
        }
        catch (Exception e)
        {
            events.Complete(e);
        }
    }

    public async Task<WorkerStats> GetStats()
    {
        var stats = (await ModelAsync()).Engine.Statistics();
        return new WorkerStats
        {
            Model = _modelName,
            Silo = silo.SiloAddress.ToParsableString(),
            Turns = stats.Turns,
            PrefilledTokens = stats.PrefilledTokens,
            GeneratedTokens = stats.GeneratedTokens,
            CacheHits = stats.Hits,
            CacheMisses = stats.Misses,
            Evictions = stats.Evictions,
            CachedConversations = stats.CachedSequences,
            Preemptions = stats.Preemptions,
            QueueLength = stats.QueueLength,
            ActiveSequences = stats.ActiveSequences,
            KvBlocksUsed = stats.KvBlocksUsed,
            KvBlocksFree = stats.KvBlocksFree,
            KvBlockSize = stats.KvBlockSize,
            KvBytesPerToken = stats.KvBytesPerToken,
            TokensHeld = stats.TokensHeld,
            PrefixHitTokens = stats.PrefixHitTokens,
            DecodeSteps = stats.DecodeSteps,
            ContextShifts = stats.ContextShifts,
        };
    }

    public Task DropCache(string cacheId)
    {
        // A model that never loaded holds no caches.
        _model?.Engine.Drop(cacheId);
        return Task.CompletedTask;
    }

    public Task DropAllCaches()
    {
        _model?.Engine.DropAll();
        return Task.CompletedTask;
    }
}
