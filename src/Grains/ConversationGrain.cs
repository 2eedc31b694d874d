using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Storage;

namespace LlamaOrleans.Grains;

/// <summary>
/// A conversation: keeps its dialog and KV handle, fits the dialog into the model's context by its policy
/// (<see cref="ContextPlanner"/>), and runs each turn on a model worker (<see cref="WorkerTurnClient"/>). Turns are
/// serialized. A turn is durable: its user message is stored (as the pending turn) before generation starts and
/// its reply when it ends, so after a crash a retry with the same message id redoes it, and a message id already
/// answered is replayed, never run twice. When storage is away, requests fail fast with
/// <see cref="ConversationErrorCode.Unavailable"/> and the state stays in memory until storage takes it again.
/// </summary>
/// <remarks>
/// Reentrant, with a lock of its own for what changes the conversation: a streamed turn runs while its reader pulls
/// the deltas, and the same message sent again (its client lost the stream) must reach the running turn to detach it,
/// which Orleans' one-call-at-a-time turns would hold back until the first stream ended.
/// </remarks>
[Reentrant]
public sealed partial class ConversationGrain(ModelCatalog catalog, TurnGate gate, WorkerTurnClient workers, ILogger<ConversationGrain> logger)
    : Grain, IConversationGrain
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private ConversationStore? _store;
    private RunningTurn? _running;

    private string Id => this.GetPrimaryKeyString();

    private ConversationStore Store => _store ??= new ConversationStore(
        ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Conversations), this.GetGrainId(), logger);

    private ConversationState State => Store.State;

    // Last chance for changes kept in memory through a storage outage.
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        _store?.SaveUnsavedAsync(reason.Description) ?? Task.CompletedTask;

    public Task<ConversationStatus> Configure(ConversationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        catalog.ContextLimit(settings.Model); // An unknown model is refused before its settings are looked at.
        Require(SamplingRules.Temperature(settings.Temperature) ?? SamplingRules.TopP(settings.TopP) ?? MaxReplyTokensProblem(settings.Model, settings.MaxReplyTokens));
        catalog.ChatFormat(settings.Model);
        return Exclusive(async () =>
        {
            await Store.LoadAsync();
            if (State.Created && State.Settings.Model != settings.Model)
            {
                await DropCache();
            }

            State.Configure(settings);
            await Save();
            return Status();
        });
    }

    public async Task<TurnResult> Send(UserMessage message, CancellationToken cancellationToken = default)
    {
        TurnResult? result = null;
        await foreach (var delta in SendStreaming(message, cancellationToken))
        {
            result = delta.Completed ?? result;
        }

        return result ?? throw new InvalidOperationException("The turn ended without a result.");
    }

    public async IAsyncEnumerable<ReplyDelta> SendStreaming(UserMessage message, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        Require(string.IsNullOrWhiteSpace(message.MessageId) ? "A message needs a client message id."
            : string.IsNullOrWhiteSpace(message.Content) ? "The message is empty." : null);
        if (_running is { } earlier && earlier.MessageId == message.MessageId)
        {
            // The client sends this message again, so it no longer reads the earlier stream (its connection or gateway
            // went): that turn runs to its end unpaced and is stored, and this request then replays it.
            earlier.Detach();
        }

        var run = new RunningTurn(message.MessageId);
        await foreach (var delta in run.Stream((emit, token) => RunTurn(message, run, emit, token), cancellationToken))
        {
            yield return delta;
        }
    }

    public async Task<IReadOnlyList<TranscriptEntry>> GetHistory()
    {
        await Store.LoadAsync();
        EnsureCreated();
        return [.. State.Transcript];
    }

    public async Task<ConversationStatus> GetStatus()
    {
        await Store.LoadAsync();
        EnsureCreated();
        return Status();
    }

    public Task Reset() => Exclusive(async () =>
    {
        await Store.LoadAsync();
        EnsureCreated();
        await DropCache();
        State.Reset();
        await Save();
        return true;
    });

    public Task Delete() => Exclusive(async () =>
    {
        await Store.LoadAsync();
        EnsureCreated();
        await DropCache();
        await Store.ClearAsync();
        DeactivateOnIdle();
        return true;
    });

    /// <summary>Runs one turn under the conversation's turn lock, handing its deltas to <paramref name="emit"/>.</summary>
    private async Task RunTurn(UserMessage message, RunningTurn run, RunningTurn.Emit emit, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            _running = run;
            using var admission = gate.Enter();
            await Store.LoadAsync();
            EnsureCreated();
            if (Store.Unsaved)
            {
                // Whatever storage missed goes first, a reply recorded through an outage included.
                await Save();
            }

            if (State.Recorded(message) is { } recorded)
            {
                await emit(new ReplyDelta(recorded.Reply, recorded with { Replayed = true }));
                return;
            }

            Require(SamplingRules.Temperature(message.Temperature) ?? SamplingRules.TopP(message.TopP)
                ?? MaxReplyTokensProblem(State.Settings.Model, message.MaxReplyTokens));
            await StorePending(message);
            await foreach (var delta in Generate(message, cancellationToken))
            {
                await emit(delta);
            }
        }
        finally
        {
            if (_running == run)
            {
                _running = null;
            }

            _turn.Release();
        }
    }

    /// <summary>Plans the turn's prompt, runs it on a worker and records it; the last delta carries the turn.</summary>
    private async IAsyncEnumerable<ReplyDelta> Generate(UserMessage message, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var settings = State.Settings;
        var planner = catalog.Planner(settings.Model, message.MaxReplyTokens ?? settings.MaxReplyTokens);
        var summarizer = new ConversationSummarizer(workers, planner, settings.Model, State.Cache, Id);
        var plan = await planner.PlanTurnAsync(settings.SystemPrompt, State.Summary, State.Transcript, message.Content, settings.ContextPolicy,
            summarizer.Summarize, cancellationToken);
        plan = plan with { Prompt = planner.Continue(plan, State.Summary, settings.KeepReplyTokens ? State.DialogTokens : null, message.Content) };
        if (plan.Prompt.HasSpecialTags)
        {
            var refused = State.RecordRefusal(plan, message, DateTimeOffset.UtcNow);
            await SaveTurn(message);
            yield return new ReplyDelta(refused.Reply, refused);
            yield break;
        }

        var turn = new WorkerTurn
        {
            Model = settings.Model,
            Cache = State.Cache,
            ContextShift = settings.ContextShift,
            Request = new WorkerRequest
            {
                CacheId = Id,
                Tokens = [.. plan.Prompt.Ids],
                Temperature = message.Temperature ?? settings.Temperature,
                TopP = message.TopP ?? settings.TopP,
                MaxReplyTokens = planner.ReplyTokensFor(plan.Prompt.Ids.Count),
                Seed = State.Seed(message),
            },
            OnLost = () => State.Cache = null,
        };
        WorkerResult? completed = null;
        var generated = 0;
        await foreach (var e in workers.Run(turn, cancellationToken))
        {
            completed = e.Completed ?? completed;
            generated += e.TokenCount;
            if (e.Text.Length > 0)
            {
                yield return new ReplyDelta(e.Text) { Tokens = generated, PromptTokens = plan.Prompt.Ids.Count };
                generated = 0;
            }
        }

        var reply = completed ?? throw new ConversationException(ConversationErrorCode.Unavailable, "The model worker ended the turn without a result; send the message again.");
        var result = State.RecordReply(plan, message, reply, turn.Worker!, Id, DateTimeOffset.UtcNow);
        await SaveTurn(message);
        yield return new ReplyDelta(string.Empty, result);
    }

    /// <summary>Stores the turn just recorded; a reply that storage did not take is kept in memory for a retry.</summary>
    private async Task SaveTurn(UserMessage message)
    {
        try
        {
            await Save();
        }
        catch (ConversationException ex) when (ex.Code == ConversationErrorCode.Unavailable && State.Replies.ContainsKey(message.MessageId))
        {
            // Kept in memory: the same message id sent again stores it and replays it.
            throw new ConversationException(ConversationErrorCode.Unavailable,
                "The reply was generated but conversation storage is unavailable; send the same message id again shortly to receive it.");
        }
    }

    /// <summary>Stores the user message as the pending turn before generation starts (unless it is that turn already, left by a crash).</summary>
    private async Task StorePending(UserMessage message)
    {
        if (State.IsPending(message))
        {
            LogRedo(Id, message.MessageId);
            return;
        }

        State.Pending = new PendingTurn(message.MessageId, message.Content, DateTimeOffset.UtcNow);
        await Save();
    }

    private Task Save() => Store.SaveOrReconcileAsync();

    private async Task DropCache()
    {
        if (State.Cache is { } cache)
        {
            await workers.DropCache(cache.Worker, cache.CacheId);
            State.Cache = null;
        }
    }

    /// <summary>Runs <paramref name="action"/> under the turn lock, so it never meets a running turn.</summary>
    private async Task<T> Exclusive<T>(Func<Task<T>> action)
    {
        await _turn.WaitAsync();
        try
        {
            return await action();
        }
        finally
        {
            _turn.Release();
        }
    }

    private ConversationStatus Status() => State.Created
        ? State.Status(Id, catalog.ContextLimit(State.Settings.Model), catalog.MaxReplyTokens(State.Settings.Model, State.Settings.MaxReplyTokens))
        : State.Status(Id, 0, 0);

    private void EnsureCreated()
    {
        if (!State.Created)
        {
            throw new ConversationException(ConversationErrorCode.NotFound, $"Conversation '{Id}' does not exist; create it with Configure first.");
        }
    }

    /// <summary>The reply cap's problem for <paramref name="model"/>, whose context bounds it; null when it is fine.</summary>
    private string? MaxReplyTokensProblem(string model, int? maxReplyTokens) =>
        SamplingRules.MaxReplyTokens(maxReplyTokens, "max reply tokens", catalog.ContextLimit(model), model);

    private static void Require(string? problem)
    {
        if (problem is not null)
        {
            throw new ConversationException(ConversationErrorCode.InvalidRequest, problem);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {Conversation}: redoing turn {MessageId}, stored as pending before an interruption")]
    private partial void LogRedo(string conversation, string messageId);
}
