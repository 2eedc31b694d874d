namespace LlamaOrleans;

/// <summary>When a model that failed to load is tried again (<see cref="ConversationErrorCode.ModelUnavailable"/>).</summary>
public static class ModelLoadRetry
{
    /// <summary>How long a model that failed to load answers with that failure before it is tried again.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
}
