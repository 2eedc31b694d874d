using System.Text;

namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// A client's turn as an application makes it while silos fail: stream the reply, and on a retryable error send the
/// same message id again (dropping the partial text) until the turn completes.
/// </summary>
internal static class StreamingTurn
{
    /// <param name="readDelay">Time the client takes per delta, so that turns are still running when a silo goes.</param>
    /// <param name="started">Set once the first delta of the first attempt arrives.</param>
    public static async Task<Outcome> RunAsync(
        IConversationGrain conversation, UserMessage message, TimeSpan readDelay, TaskCompletionSource? started, TimeSpan deadline)
    {
        var errors = new List<Exception>();
        using var limit = new CancellationTokenSource(deadline);
        while (true)
        {
            var text = new StringBuilder();
            try
            {
                TurnResult? result = null;
                await foreach (var delta in conversation.SendStreaming(message, limit.Token))
                {
                    started?.TrySetResult();
                    text.Append(delta.Text);
                    result = delta.Completed ?? result;
                    await Task.Delay(readDelay, limit.Token);
                }

                return new Outcome(result ?? throw new InvalidOperationException("The stream ended without the turn."), text.ToString(), errors);
            }
            catch (Exception ex) when (!limit.IsCancellationRequested && RetryableErrors.IsRetryable(ex))
            {
                errors.Add(ex);
                await Task.Delay(500, limit.Token);
            }
            catch (Exception ex) when (!limit.IsCancellationRequested)
            {
                // Not retryable: the test fails on it, with what came before.
                errors.Add(ex);
                return new Outcome(null, text.ToString(), errors);
            }
        }
    }

    /// <summary>The completed turn (null when a non-retryable error ended it), the text streamed by the attempt that completed, and every error met.</summary>
    public sealed record Outcome(TurnResult? Turn, string StreamedText, IReadOnlyList<Exception> Errors);
}
