using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Llama.Chat;
using Llama.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Storage;

namespace LlamaOrleans.Grains;

/// <summary>
/// A conversation: keeps its dialog and KV handle, fits the dialog into the model's context by its policy,
/// and runs each turn on a model worker, sending only the tokens the worker's cache lacks. Turns are
/// serialized. A turn is durable: its user message is stored (as the pending turn) before generation starts and
/// its reply when it ends, so after a crash a retry with the same message id redoes it, and a message id already
/// answered is replayed, never run twice. When storage is away, requests fail fast with
/// <see cref="ConversationErrorCode.Unavailable"/> and the state stays in memory until storage takes it again.
/// </summary>
[Reentrant]
public sealed partial class ConversationGrain(
    ModelCatalog catalog,
    TurnGate gate,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain
{
    private const int SummaryTokens = 64;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private ConversationStore? _store;
    private RunningTurn? _running;

    private string Id => this.GetPrimaryKeyString();

    private ConversationStore Store => _store ??= new ConversationStore(
        ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Conversations), this.GetGrainId(), logger);

    private ConversationState State => Store.State;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_store is { Unsaved: true })
        {
            // Last chance for changes kept in memory through a storage outage.
            try
            {
                await _store.SaveAsync();
            }
            catch (ConversationException ex)
            {
                LogUnsavedLost(ex, Id, reason.Description);
            }
        }
    }

    public async Task<ConversationStatus> Configure(ConversationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var limit = catalog.ContextLimit(settings.Model);
        Require(settings.Temperature >= 0 && float.IsFinite(settings.Temperature), $"temperature must be 0 or more, got {settings.Temperature}.");
        Require(settings.TopP > 0 && settings.TopP <= 1, $"top_p must be in (0, 1], got {settings.TopP}.");
        Require(settings.MaxReplyTokens is null || (settings.MaxReplyTokens > 0 && settings.MaxReplyTokens < limit),
            $"max reply tokens must be between 1 and {limit - 1} for model '{settings.Model}', got {settings.MaxReplyTokens}.");
        catalog.ChatFormat(settings.Model);

        await _turn.WaitAsync();
        try
        {
            await Store.LoadAsync();
            if (State.Created && State.Settings.Model != settings.Model)
            {
                await DropCache();
            }

            if (State.Settings != settings)
            {
                // The dialog's tokens were made under the old settings (system prompt, model).
                State.DialogTokens = null;
            }

            State.Created = true;
            State.Settings = settings;
            await Save();
            return Status();
        }
        finally
        {
            _turn.Release();
        }
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
        Require(!string.IsNullOrWhiteSpace(message.MessageId), "A message needs a client message id.");
        Require(!string.IsNullOrWhiteSpace(message.Content), "The message is empty.");
        if (_running is { } earlier && earlier.MessageId == message.MessageId)
        {
            // The client sends this message again, so it no longer reads the earlier stream (its connection or gateway
            // went): that turn runs to its end unpaced and is stored, and this request then replays it.
            earlier.Detach();
        }

        var run = new RunningTurn(message.MessageId);
        var deltas = Channel.CreateUnbounded<ReplyDelta>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var turn = RunTurn(message, run, deltas.Writer, stop.Token);
        var finished = false;
        try
        {
            await foreach (var delta in deltas.Reader.ReadAllAsync(cancellationToken))
            {
                run.Credits.Release();
                yield return delta;
            }

            finished = true;
        }
        finally
        {
            if (!finished && !run.Detached)
            {
                // The reader cancelled or stopped early: so does the turn, leaving no trace (unless detached and done).
                await stop.CancelAsync();
            }

            await turn;
        }
    }

    /// <summary>
    /// Runs one turn, holding the conversation's turn lock, writing its deltas to <paramref name="output"/> no faster
    /// than the reader takes them (see <see cref="RunningTurn"/>); an error completes the output with it.
    /// </summary>
    private async Task RunTurn(UserMessage message, RunningTurn run, ChannelWriter<ReplyDelta> output, CancellationToken cancellationToken)
    {
        async Task Emit(ReplyDelta delta)
        {
            await run.Credits.WaitAsync(cancellationToken);
            output.TryWrite(delta);
        }

        Exception? failure = null;
        try
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

                if (State.Replies.TryGetValue(message.MessageId, out var recorded))
                {
                    if (State.Transcript.FindLast(e => e.MessageId == message.MessageId && e.Role == TranscriptRole.User) is { } sent && sent.Content != message.Content)
                    {
                        throw new ConversationException(ConversationErrorCode.Conflict,
                            $"Message id '{message.MessageId}' was already sent with different content; send new content under a new id.");
                    }

                    await Emit(new ReplyDelta(recorded.Reply, recorded with { Replayed = true }));
                    return;
                }

                RequireTurnOptions(message);
                await StorePending(message);
                var plan = await Plan(message, cancellationToken);
                if (plan.Prompt.HasSpecialTags)
                {
                    // Meta answers such dialogs with a fixed error text; neither message joins the model's view.
                    var refused = new TurnResult { MessageId = message.MessageId, Reply = ChatFormat.UnsafeReply, FinishReason = "stop" };
                    await Commit(plan, message, refused, inContext: false, cache: State.Cache, replyTokens: []);
                    await Emit(new ReplyDelta(refused.Reply, refused));
                    return;
                }

                WorkerResult? completed = null;
                string? worker = null;
                var generated = 0;
                await foreach (var (w, e) in RunOnWorker(plan.Prompt.Ids, ReplyBudget(plan), message, cancellationToken))
                {
                    worker = w;
                    generated += e.TokenCount;
                    if (e.Completed is { } done)
                    {
                        completed = done;
                    }

                    if (e.Text.Length > 0)
                    {
                        await Emit(new ReplyDelta(e.Text) { Tokens = generated, PromptTokens = plan.Prompt.Ids.Count });
                        generated = 0;
                    }
                }

                var result = completed ?? throw new ConversationException(ConversationErrorCode.Unavailable, "The model worker ended the turn without a result; send the message again.");
                var turn = new TurnResult
                {
                    MessageId = message.MessageId,
                    Reply = result.Text,
                    FinishReason = result.FinishReason,
                    PromptTokens = plan.Prompt.Ids.Count,
                    CompletionTokens = result.Tokens.Length,
                    PrefilledTokens = result.PrefilledTokens,
                    // A hit only when most of the prompt came from the cache, not when a shared first block did.
                    CacheHit = 2 * (plan.Prompt.Ids.Count - result.PrefilledTokens) > plan.Prompt.Ids.Count,
                };
                var cached = plan.Prompt.Ids.Concat(result.Tokens).Take(result.CachedTokens).ToArray();
                await Commit(plan, message, turn, inContext: true, new KvHandle(worker!, Id, cached, result.CachedHash), result.Tokens);
                await Emit(new ReplyDelta(string.Empty, turn));
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
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            output.TryComplete(failure);
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

    public async Task Reset()
    {
        await _turn.WaitAsync();
        try
        {
            await Store.LoadAsync();
            EnsureCreated();
            await DropCache();
            State.Transcript.Clear();
            State.Replies.Clear();
            State.Summary = null;
            State.DialogTokens = null;
            State.Pending = null;
            State.Turns = State.Trims = State.Summaries = State.ContextTokens = 0;
            await Save();
        }
        finally
        {
            _turn.Release();
        }
    }

    public async Task Delete()
    {
        await _turn.WaitAsync();
        try
        {
            await Store.LoadAsync();
            EnsureCreated();
            await DropCache();
            await Store.ClearAsync();
            DeactivateOnIdle();
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// The turn's prompt: the in-context dialog plus the new message, fitted by <see cref="ContextPlanner"/> (with
    /// hysteresis: a shrink goes down to the low-water mark), and any trimmed turns folded into the summary.
    /// Works on copies; nothing is stored here.
    /// </summary>
    private async Task<TurnPlan> Plan(UserMessage message, CancellationToken cancellationToken)
    {
        var settings = State.Settings;
        var limit = catalog.ContextLimit(settings.Model);
        var options = catalog.Options.Conversations;
        var reserve = ContextWindow.ReplyReserve(message.MaxReplyTokens ?? settings.MaxReplyTokens, limit, options.DefaultMaxReplyTokens);
        var planner = new ContextPlanner(catalog.ChatFormat(settings.Model), limit, reserve, options.ShrinkToFraction);
        var plan = planner.Plan(settings.SystemPrompt, State.Summary, State.Transcript, message.Content, settings.ContextPolicy);
        var trims = plan.Trims;
        while (plan.Dropped.Count > 0)
        {
            var summary = await Summarize(plan.Summary, plan.Dropped, cancellationToken);
            plan = planner.Plan(settings.SystemPrompt, summary, plan.Transcript, message.Content, settings.ContextPolicy);
            trims += plan.Trims;
        }

        return new TurnPlan(Continued(plan.Prompt, message.Content, trims, plan.Summary, limit - reserve), plan.Transcript, plan.Summary, trims,
            plan.Summary != State.Summary, limit, reserve);
    }

    /// <summary>
    /// With <see cref="ConversationSettings.KeepReplyTokens"/>, the prompt that continues from the last turn's tokens
    /// when nothing but the new message has changed the dialog in context and it fits; otherwise Meta's
    /// <paramref name="prompt"/>.
    /// </summary>
    private ChatPrompt Continued(ChatPrompt prompt, string content, int trims, string? summary, int room)
    {
        if (!State.Settings.KeepReplyTokens || State.DialogTokens is not { } dialog || trims > 0 || summary != State.Summary)
        {
            return prompt;
        }

        var continued = catalog.ChatFormat(State.Settings.Model).Continue(dialog, content);
        return continued.Ids.Count <= room ? continued : prompt;
    }

    /// <summary>Asks the model to fold <paramref name="dropped"/> turns (and the previous summary) into a short summary.</summary>
    private async Task<string> Summarize(string? previous, IReadOnlyList<TranscriptEntry> dropped, CancellationToken cancellationToken)
    {
        var settings = State.Settings;
        var format = catalog.ChatFormat(settings.Model);
        var limit = catalog.ContextLimit(settings.Model);
        var lines = dropped.Select(e => $"{(e.Role == TranscriptRole.User ? "User" : "Assistant")}: {e.Content}").ToList();
        if (!string.IsNullOrEmpty(previous))
        {
            lines.Insert(0, $"Earlier: {previous}");
        }

        const string Instruction = "You summarize conversations briefly, keeping names and facts.";
        ChatPrompt prompt;
        do
        {
            prompt = format.Encode([new Message(Role.System, Instruction), new Message(Role.User, "Summarize this conversation:\n" + string.Join('\n', lines))]);
            if (prompt.Ids.Count + SummaryTokens > limit && lines.Count > 1)
            {
                lines.RemoveAt(0);
            }
        }
        while (prompt.Ids.Count + SummaryTokens > limit && lines.Count > 1);

        var text = new System.Text.StringBuilder();
        var cacheId = $"{Id}#summary";
        var (worker, _) = await Worker(exclude: null);
        await foreach (var e in worker.Generate(new WorkerRequest
        {
            CacheId = cacheId,
            Tokens = [.. prompt.Ids],
            Temperature = 0,
            MaxNewTokens = Math.Min(SummaryTokens, limit - prompt.Ids.Count),
        }, cancellationToken))
        {
            text.Append(e.Text);
        }

        await worker.DropCache(cacheId);
        return text.ToString().Trim();
    }

    /// <summary>
    /// Streams the reply from a worker: the cached one with only the tokens its cache lacks, or the whole prompt
    /// after a cache miss; a worker that cannot be reached before the reply starts is replaced by another.
    /// </summary>
    private async IAsyncEnumerable<(string Worker, WorkerEvent Event)> RunOnWorker(
        IReadOnlyList<int> prompt, int maxNewTokens, UserMessage message, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var settings = State.Settings;
        var seed = message.Seed ?? (settings.Seed is { } s ? s + (ulong)State.Turns : (ulong)Random.Shared.NextInt64());
        string? failed = null;
        string? key = null;
        var recompute = false;
        for (var attempt = 0; ; attempt++)
        {
            IModelWorkerGrain worker;
            if (key is null)
            {
                (worker, key) = await Worker(failed);
            }
            else
            {
                worker = GrainFactory.GetGrain<IModelWorkerGrain>(key);
            }

            var (shiftFrom, shiftCount, reuse) = !recompute && State.Cache is { } cache && cache.Worker == key
                ? CacheReuse.Plan(cache.Tokens, prompt, settings.ContextShift)
                : (0, 0, 0);
            var request = new WorkerRequest
            {
                CacheId = Id,
                ShiftFrom = shiftFrom,
                ShiftCount = shiftCount,
                ReuseTokens = reuse,
                ReuseHash = TokenHash.Of(prompt.Take(reuse)),
                Tokens = [.. prompt.Skip(reuse)],
                Temperature = message.Temperature ?? settings.Temperature,
                TopP = message.TopP ?? settings.TopP,
                MaxNewTokens = maxNewTokens,
                Seed = seed,
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
                    catch (Exception ex) when (!started && attempt < 2 && IsUnreachable(ex))
                    {
                        logger.LogWarning(ex, "Worker {Worker} unreachable for conversation {Conversation}; moving", key, Id);
                        await Registry.ReleaseWorker(key);
                        failed = key;
                        key = null;
                        recompute = true;
                        retry = true;
                        break;
                    }
                    catch (Exception ex) when (IsUnreachable(ex) && ex is not ConversationException)
                    {
                        // Lost mid-reply (or no worker left to try): the turn stays pending, its retry starts afresh elsewhere.
                        logger.LogWarning(ex, "Worker {Worker} lost during a turn of conversation {Conversation}", key, Id);
                        State.Cache = null;
                        await ReleaseQuietly(key);
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
                    yield return (key, e);
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

    /// <summary>The worker holding this conversation's cache, or a newly assigned one (never <paramref name="exclude"/>).</summary>
    private async Task<(IModelWorkerGrain Worker, string Key)> Worker(string? exclude)
    {
        var key = State.Cache is { } cache && cache.Worker != exclude ? cache.Worker : await Registry.AssignWorker(State.Settings.Model, exclude);
        return (GrainFactory.GetGrain<IModelWorkerGrain>(key), key);
    }

    private async Task ReleaseQuietly(string worker)
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

    private IModelRegistryGrain Registry => GrainFactory.GetGrain<IModelRegistryGrain>(0);

    private static bool IsUnreachable(Exception e) =>
        e is ConversationException { Code: ConversationErrorCode.Unavailable } or SiloUnavailableException or OrleansMessageRejectionException or TimeoutException
        || (e is AggregateException a && a.InnerExceptions.Any(IsUnreachable))
        || (e.InnerException is { } inner && IsUnreachable(inner));

    private int ReplyBudget(TurnPlan plan) => Math.Min(plan.Reserve, plan.Limit - plan.Prompt.Ids.Count);

    /// <param name="replyTokens">The reply's tokens as generated (the stop token cut off), when it joins the context.</param>
    private async Task Commit(TurnPlan plan, UserMessage message, TurnResult result, bool inContext, KvHandle? cache, IReadOnlyList<int> replyTokens)
    {
        var now = DateTimeOffset.UtcNow;
        State.Transcript = plan.Transcript;
        State.Transcript.Add(new TranscriptEntry(TranscriptRole.User, message.Content, message.MessageId, now, inContext));
        State.Transcript.Add(new TranscriptEntry(TranscriptRole.Assistant, result.Reply, message.MessageId, now, inContext));
        State.Summary = plan.Summary;
        State.Trims += plan.Trims;
        State.Summaries += plan.Summarized ? 1 : 0;
        State.Turns++;
        State.Replies[message.MessageId] = result;
        State.Cache = cache;
        State.Pending = null;
        if (plan.Trims > 0 || plan.Summarized)
        {
            State.DialogTokens = null;
        }

        if (inContext)
        {
            State.ContextTokens = result.PromptTokens + result.CompletionTokens;
            State.DialogTokens = State.Settings.KeepReplyTokens ? [.. plan.Prompt.Ids, .. replyTokens] : null;
        }

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
        if (State.Pending is { } pending && pending.MessageId == message.MessageId && pending.Content == message.Content)
        {
            LogRedo(Id, message.MessageId);
            return;
        }

        State.Pending = new PendingTurn(message.MessageId, message.Content, DateTimeOffset.UtcNow);
        await Save();
    }

    /// <summary>
    /// Writes the state. On an ETag conflict (another activation wrote it, e.g. while a silo was being declared dead)
    /// the stored state wins: it is reloaded, and the caller is told to retry on it, unless it already holds what this
    /// write meant to store.
    /// </summary>
    private async Task Save()
    {
        if (await Store.SaveAsync())
        {
            return;
        }

        var written = State;
        var stored = await Store.ReloadAsync();
        if (stored.Created == written.Created && stored.Turns == written.Turns && stored.Pending?.MessageId == written.Pending?.MessageId
            && stored.Replies.Count == written.Replies.Count && written.Replies.Keys.All(stored.Replies.ContainsKey))
        {
            // An earlier write landed although its answer was lost: storage holds this state already.
            return;
        }

        throw new ConversationException(ConversationErrorCode.Unavailable,
            "The conversation was changed elsewhere at the same time (for example while a silo failed); its stored state has been reloaded: send the request again.");
    }

    private async Task DropCache()
    {
        if (State.Cache is { } cache)
        {
            try
            {
                await GrainFactory.GetGrain<IModelWorkerGrain>(cache.Worker).DropCache(cache.CacheId);
                await Registry.ReleaseWorker(cache.Worker);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                // The worker is gone and its caches with it.
            }

            State.Cache = null;
        }
    }

    private ConversationStatus Status() => new()
    {
        ConversationId = Id,
        Settings = State.Settings,
        Turns = State.Turns,
        ContextTokens = State.ContextTokens,
        ContextLimit = State.Created ? catalog.ContextLimit(State.Settings.Model) : 0,
        Trims = State.Trims,
        Summaries = State.Summaries,
        CacheWorker = State.Cache?.Worker,
        CachedTokens = State.Cache?.Tokens.Length ?? 0,
        Summary = State.Summary,
        PendingMessageId = State.Pending?.MessageId,
        ReplyReserve = State.Created
            ? ContextWindow.ReplyReserve(State.Settings.MaxReplyTokens, catalog.ContextLimit(State.Settings.Model), catalog.Options.Conversations.DefaultMaxReplyTokens)
            : 0,
    };

    private void EnsureCreated()
    {
        if (!State.Created)
        {
            throw new ConversationException(ConversationErrorCode.NotFound, $"Conversation '{Id}' does not exist; create it with Configure first.");
        }
    }

    /// <summary>Checks a turn's own sampling settings against the conversation's model, as <see cref="Configure"/> checks the settings.</summary>
    private void RequireTurnOptions(UserMessage message)
    {
        var limit = catalog.ContextLimit(State.Settings.Model);
        Require(message.Temperature is null || (message.Temperature >= 0 && float.IsFinite(message.Temperature.Value)), $"temperature must be 0 or more, got {message.Temperature}.");
        Require(message.TopP is null || (message.TopP > 0 && message.TopP <= 1), $"top_p must be in (0, 1], got {message.TopP}.");
        Require(message.MaxReplyTokens is null || (message.MaxReplyTokens > 0 && message.MaxReplyTokens < limit),
            $"max reply tokens must be between 1 and {limit - 1} for model '{State.Settings.Model}', got {message.MaxReplyTokens}.");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ConversationException(ConversationErrorCode.InvalidRequest, message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {Conversation}: redoing turn {MessageId}, stored as pending before an interruption")]
    private partial void LogRedo(string conversation, string messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Conversation {Conversation}: changes kept in memory through a storage outage are lost on deactivation ({Reason})")]
    private partial void LogUnsavedLost(Exception exception, string conversation, string reason);

    private sealed record TurnPlan(ChatPrompt Prompt, List<TranscriptEntry> Transcript, string? Summary, int Trims, bool Summarized, int Limit, int Reserve);
}
