using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace LlamaOrleans.Client.Tests.TestDoubles;

/// <summary>
/// TEST DOUBLE of the conversation grain, for testing the client side only: it answers "echo: TEXT" instead of
/// running a model, counts one token per word, and keeps its state in memory. It follows the grain contract the
/// client relies on: refusals as <see cref="ConversationException"/> (NotFound before the first Configure,
/// UnknownModel, ContextFull), recorded replies for repeated message ids, streamed replies whose last delta
/// carries the turn, and a reply cut at <see cref="ConversationSettings.MaxReplyTokens"/> with finish reason "length".
/// </summary>
public sealed class EchoConversationGrain : Grain, IConversationGrain
{
    public const int ContextLimit = 512;

    /// <summary>The model name this double refuses as unknown.</summary>
    public const string MissingModel = "missing";

    /// <summary>A message containing this word is refused as not fitting the context.</summary>
    public const string OverflowWord = "overflow";

    private static readonly ConcurrentDictionary<string, int> Configurations = new();

    private readonly List<TranscriptEntry> _transcript = [];
    private readonly Dictionary<string, TurnResult> _replies = [];
    private ConversationSettings? _settings;
    private int _turns;
    private int _contextTokens;

    /// <summary>How many times conversation <paramref name="id"/> was configured, for tests that check reconfiguration.</summary>
    public static int ConfigureCalls(string id) => Configurations.GetValueOrDefault(id);

    public Task<ConversationStatus> Configure(ConversationSettings settings)
    {
        if (settings.Model == MissingModel)
        {
            throw new ConversationException(ConversationErrorCode.UnknownModel, $"model '{settings.Model}' is not hosted by the cluster");
        }

        Configurations.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, n) => n + 1);
        _settings = settings;
        return GetStatus();
    }

    public Task<TurnResult> Send(UserMessage message, CancellationToken cancellationToken = default) =>
        Task.FromResult(Turn(message));

    public async IAsyncEnumerable<ReplyDelta> SendStreaming(UserMessage message, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var turn = Turn(message);
        var words = turn.Reply.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ReplyDelta(i == 0 ? words[i] : " " + words[i]);
        }

        yield return new ReplyDelta(string.Empty, turn);
    }

    public Task<IReadOnlyList<TranscriptEntry>> GetHistory()
    {
        EnsureExists();
        return Task.FromResult<IReadOnlyList<TranscriptEntry>>([.. _transcript]);
    }

    public Task<ConversationStatus> GetStatus()
    {
        var settings = EnsureExists();
        return Task.FromResult(new ConversationStatus
        {
            ConversationId = this.GetPrimaryKeyString(),
            Settings = settings,
            Turns = _turns,
            ContextTokens = _contextTokens,
            ContextLimit = ContextLimit,
            CacheWorker = _turns > 0 ? $"{settings.Model}@test-silo" : null,
            CachedTokens = _turns > 0 ? _contextTokens - 1 : 0,
        });
    }

    public Task Reset()
    {
        EnsureExists();
        _transcript.Clear();
        _replies.Clear();
        _turns = 0;
        _contextTokens = 0;
        return Task.CompletedTask;
    }

    public Task Delete()
    {
        _settings = null;
        _transcript.Clear();
        _replies.Clear();
        _turns = 0;
        _contextTokens = 0;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private TurnResult Turn(UserMessage message)
    {
        var settings = EnsureExists();
        if (_replies.TryGetValue(message.MessageId, out var recorded))
        {
            return recorded with { Replayed = true };
        }

        if (message.Content.Contains(OverflowWord, StringComparison.Ordinal))
        {
            throw new ConversationException(ConversationErrorCode.ContextFull, "the message does not fit the model's context");
        }

        var reply = ("echo: " + message.Content).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var cut = settings.MaxReplyTokens is { } max && reply.Length > max;
        if (cut)
        {
            reply = reply[..settings.MaxReplyTokens!.Value];
        }

        var prefilled = Words(message.Content);
        var prompt = Words(settings.SystemPrompt) + _transcript.Sum(e => Words(e.Content)) + prefilled;
        var result = new TurnResult
        {
            MessageId = message.MessageId,
            Reply = string.Join(' ', reply),
            FinishReason = cut ? "length" : "stop",
            PromptTokens = prompt,
            CompletionTokens = reply.Length,
            PrefilledTokens = prefilled,
            CacheHit = _turns > 0,
        };

        var now = DateTimeOffset.UtcNow;
        _transcript.Add(new TranscriptEntry(TranscriptRole.User, message.Content, message.MessageId, now, InContext: true));
        _transcript.Add(new TranscriptEntry(TranscriptRole.Assistant, result.Reply, message.MessageId, now, InContext: true));
        _replies[message.MessageId] = result;
        _turns++;
        _contextTokens = prompt + reply.Length;
        return result;
    }

    private ConversationSettings EnsureExists() =>
        _settings ?? throw new ConversationException(ConversationErrorCode.NotFound, $"conversation '{this.GetPrimaryKeyString()}' does not exist; configure it first");

    private static int Words(string? text) => text?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length ?? 0;
}
