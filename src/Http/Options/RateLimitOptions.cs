namespace LlamaOrleans.Http.Options;

/// <summary>Per-key limits; null or 0 means unlimited.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests a key may make in a minute (fixed one-minute windows).</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Streamed replies a key may have open at once.</summary>
    public int? MaxConcurrentStreams { get; set; }
}
