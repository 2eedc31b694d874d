using System.Diagnostics;
using LlamaOrleans;
using LlamaOrleans.Client;

namespace Llama.Bench.Serving;

/// <summary>One streamed turn of a conversation, timed from the send to the completed turn.</summary>
internal static class ConversationTurn
{
    /// <summary>
    /// Sends <paramref name="text"/> and reads the reply stream: its first delta with text is the first token, its last
    /// delta with text the last. Tokens are the reply's plus the stop token where the model ended it, as the engine
    /// counts them.
    /// </summary>
    public static async Task<(StreamTiming Timing, TurnResult Result)> RunAsync(
        LlamaConversation conversation, string text, CancellationToken cancellationToken)
    {
        var (timing, result, _) = await RunTimedAsync(conversation, text, cancellationToken).ConfigureAwait(false);
        return (timing, result);
    }

    /// <summary>
    /// As <see cref="RunAsync"/>, and the seconds from the last token to the delta with the turn's result, which the
    /// conversation sends once it has stored the turn.
    /// </summary>
    public static async Task<(StreamTiming Timing, TurnResult Result, double StoreSeconds)> RunTimedAsync(
        LlamaConversation conversation, string text, CancellationToken cancellationToken)
    {
        var clock = new TokenClock();
        var lastText = 0L;
        var completedAt = 0L;
        TurnResult? result = null;
        await foreach (var delta in conversation.StreamAsync(text, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (delta.Completed is { } completed)
            {
                result = completed;
                completedAt = Stopwatch.GetTimestamp();
                if (lastText == 0)
                {
                    // A reply without text (the model stopped at once): its result is its only token.
                    clock.Token();
                    lastText = completedAt;
                }
            }
            else if (delta.Text.Length > 0)
            {
                clock.Token();
                lastText = Stopwatch.GetTimestamp();
            }
        }

        if (result is null)
        {
            throw new BenchException($"Conversation {conversation.Id} ended a turn without its result.");
        }

        return (clock.Finish(result.CompletionTokens + (result.FinishReason == "stop" ? 1 : 0)), result, StreamTiming.Seconds(lastText, completedAt));
    }

    /// <summary>
    /// A greedy conversation of the bench model with the given reply budget; with <paramref name="keepReplyTokens"/>
    /// each turn continues from the reply's generated tokens (<see cref="ConversationSettings.KeepReplyTokens"/>).
    /// </summary>
    public static async Task<LlamaConversation> CreateAsync(
        BenchCluster cluster, string id, int maxReplyTokens, CancellationToken cancellationToken, bool keepReplyTokens = false)
    {
        var conversation = cluster.Conversations.Conversation(id);
        await conversation.ConfigureAsync(
            new ConversationSettings { Model = cluster.ModelName, Temperature = 0, MaxReplyTokens = maxReplyTokens, KeepReplyTokens = keepReplyTokens },
            cancellationToken).ConfigureAwait(false);
        return conversation;
    }
}
