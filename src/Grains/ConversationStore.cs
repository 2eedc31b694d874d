using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace LlamaOrleans.Grains;

/// <summary>
/// A conversation's stored state, read on first use rather than at activation so that a storage outage surfaces as a
/// retryable <see cref="ConversationErrorCode.Unavailable"/> refusal, never as a failed activation; and written with
/// its ETag, a conflict reported as such rather than swallowed.
/// </summary>
internal sealed partial class ConversationStore(IGrainStorage storage, GrainId grainId, ILogger logger)
{
    // The name the state has always been stored under.
    private const string StateName = "conversation";

    private GrainState<ConversationState> _stored = new(new ConversationState());
    private Task? _loading;

    public ConversationState State => _stored.State ??= new ConversationState();

    /// <summary>Changes made in memory that a write has not stored yet (storage was away).</summary>
    public bool Unsaved { get; private set; }

    /// <summary>Reads the state once; after a failed read the next call tries again.</summary>
    public async Task LoadAsync()
    {
        var loading = _loading ??= ReadAsync();
        try
        {
            await loading;
        }
        catch
        {
            _ = Interlocked.CompareExchange(ref _loading, null, loading);
            throw;
        }
    }

    /// <summary>Writes the state; on failure it stays in memory, marked <see cref="Unsaved"/>.</summary>
    /// <returns>False on an ETag conflict: the state changed elsewhere, and <see cref="ReloadAsync"/> gives the stored one.</returns>
    /// <exception cref="ConversationException">Storage is unavailable.</exception>
    public async Task<bool> SaveAsync()
    {
        Unsaved = true;
        try
        {
            await storage.WriteStateAsync(StateName, grainId, _stored);
            Unsaved = false;
            return true;
        }
        catch (InconsistentStateException ex)
        {
            LogConflict(ex, grainId);
            return false;
        }
        catch (Exception ex) when (ex is not ConversationException)
        {
            throw Unavailable("write", ex);
        }
    }

    /// <summary>
    /// Writes the state. On an ETag conflict (another activation wrote it, e.g. while a silo was being declared dead)
    /// the stored state wins: it is reloaded, and the caller is told to retry on it, unless it already holds what this
    /// write meant to store.
    /// </summary>
    /// <exception cref="ConversationException">Storage is unavailable, or the state changed elsewhere (both <see cref="ConversationErrorCode.Unavailable"/>).</exception>
    public async Task SaveOrReconcileAsync()
    {
        if (await SaveAsync())
        {
            return;
        }

        var written = State;
        if (!(await ReloadAsync()).Holds(written))
        {
            throw new ConversationException(ConversationErrorCode.Unavailable,
                "The conversation was changed elsewhere at the same time (for example while a silo failed); its stored state has been reloaded: send the request again.");
        }
    }

    /// <summary>Writes changes kept in memory through a storage outage, if any: the activation's last chance.</summary>
    public async Task SaveUnsavedAsync(string reason)
    {
        if (!Unsaved)
        {
            return;
        }

        try
        {
            await SaveAsync();
        }
        catch (ConversationException ex)
        {
            LogUnsavedLost(ex, grainId, reason);
        }
    }

    /// <summary>Replaces the state in memory with the stored one (after a conflict).</summary>
    /// <exception cref="ConversationException">Storage is unavailable.</exception>
    public async Task<ConversationState> ReloadAsync()
    {
        var fresh = new GrainState<ConversationState>(new ConversationState());
        try
        {
            await storage.ReadStateAsync(StateName, grainId, fresh);
        }
        catch (Exception ex) when (ex is not ConversationException)
        {
            throw Unavailable("read", ex);
        }

        fresh.State ??= new ConversationState();
        _stored = fresh;
        Unsaved = false;
        return fresh.State;
    }

    /// <summary>Deletes the stored state and starts afresh in memory.</summary>
    /// <exception cref="ConversationException">Storage is unavailable, or the state changed elsewhere.</exception>
    public async Task ClearAsync()
    {
        try
        {
            await storage.ClearStateAsync(StateName, grainId, _stored);
        }
        catch (InconsistentStateException ex)
        {
            LogConflict(ex, grainId);
            await ReloadAsync();
            throw new ConversationException(ConversationErrorCode.Unavailable,
                "The conversation was changed elsewhere while being deleted; it has been reloaded, delete it again.");
        }
        catch (Exception ex) when (ex is not ConversationException)
        {
            throw Unavailable("delete", ex);
        }

        _stored = new GrainState<ConversationState>(new ConversationState());
        Unsaved = false;
    }

    private async Task ReadAsync()
    {
        try
        {
            await storage.ReadStateAsync(StateName, grainId, _stored);
            _stored.State ??= new ConversationState();
        }
        catch (Exception ex)
        {
            throw Unavailable("read", ex);
        }
    }

    private ConversationException Unavailable(string operation, Exception ex)
    {
        LogUnavailable(ex, operation, grainId);
        return new ConversationException(ConversationErrorCode.Unavailable,
            $"Conversation storage is unavailable (the {operation} failed: {ex.GetType().Name}); nothing was lost, send the request again shortly.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation storage {Operation} failed for {Grain}")]
    private partial void LogUnavailable(Exception exception, string operation, GrainId grain);

    [LoggerMessage(Level = LogLevel.Error, Message = "Conversation {Grain}: changes kept in memory through a storage outage are lost on deactivation ({Reason})")]
    private partial void LogUnsavedLost(Exception exception, GrainId grain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ETag conflict writing {Grain}: its stored state changed elsewhere")]
    private partial void LogConflict(Exception exception, GrainId grain);
}
