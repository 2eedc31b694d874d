using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// The errors a client may meet while silos fail and which it answers by sending the same message id again:
/// the conversation's own Unavailable and Busy refusals, Orleans' transport errors for a silo that is gone, and a
/// reply stream whose conversation was reactivated elsewhere in the middle (its enumerator gone with the old silo).
/// Anything else is a real failure.
/// </summary>
internal static class RetryableErrors
{
    public static bool IsRetryable(Exception e) => e switch
    {
        ConversationException c => c.Code is ConversationErrorCode.Unavailable or ConversationErrorCode.Busy,
        SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or TimeoutException
            or EnumerationAbortedException => true,
        AggregateException a => a.InnerExceptions.All(IsRetryable),
        OrleansException { InnerException: { } inner } => IsRetryable(inner),
        OrleansException o => o.Message.Contains("gateway", StringComparison.OrdinalIgnoreCase)
            || o.Message.Contains("silo", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };
}
