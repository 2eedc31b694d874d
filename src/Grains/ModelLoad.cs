using Llama.Checkpoints;
using Llama.Tokenization;
using Microsoft.Extensions.Logging;

namespace LlamaOrleans.Grains;

/// <summary>
/// Loads one whole model on first use. A load that fails is reported as <see cref="ConversationErrorCode.ModelUnavailable"/>
/// with its reason, logged once (again only when the reason changes), and tried again no sooner than
/// <paramref name="retryAfter"/>: every request meanwhile gets the same answer at no cost, and a fixed checkpoint
/// is picked up without a restart.
/// </summary>
internal sealed partial class ModelLoad(string model, Func<HostedModel> load, TimeSpan retryAfter, TimeProvider clock, ILogger logger)
{
    private readonly Lock _gate = new();
    private HostedModel? _loaded;
    private ConversationException? _failure;
    private string? _reason;
    private DateTimeOffset _retryAt;

    /// <summary>The model, once loaded.</summary>
    public HostedModel? Loaded => _loaded;

    /// <summary>The model, loading it if need be; throws the load's failure while it stands.</summary>
    public HostedModel Get()
    {
        if (_loaded is { } loaded)
        {
            return loaded;
        }

        lock (_gate)
        {
            if (_loaded is { } again)
            {
                return again;
            }

            if (_failure is { } failure && clock.GetUtcNow() < _retryAt)
            {
                throw failure;
            }

            try
            {
                _loaded = load();
                if (_failure is not null)
                {
                    LogRecovered(model);
                }

                _failure = null;
                return _loaded;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var reason = e.Message;
                if (reason != _reason)
                {
                    // A bad file is fully described by its message; anything else is a defect, worth its stack trace once.
                    LogFailed(IsBadFile(e) ? null : e, model, reason, retryAfter);
                }

                _reason = reason;
                _failure = new ConversationException(ConversationErrorCode.ModelUnavailable, $"Model '{model}' failed to load on this silo: {reason}");
                _retryAt = clock.GetUtcNow() + retryAfter;
                throw _failure;
            }
        }
    }

    private static bool IsBadFile(Exception e) =>
        e is CheckpointException or TokenizerException or ArgumentException or IOException or UnauthorizedAccessException;

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} failed to load: {Reason}; requests get 503 model_unavailable, next try in {RetryAfter} or later")]
    private partial void LogFailed(Exception? e, string model, string reason, TimeSpan retryAfter);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} loaded after earlier failures")]
    private partial void LogRecovered(string model);
}
