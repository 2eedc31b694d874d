namespace Llama.Serving;

/// <summary>What <see cref="ConversationCaches.TryResume"/> found for a turn.</summary>
internal enum CacheResume
{
    /// <summary>The cache holds what the turn reuses (or it reuses nothing): it may be admitted.</summary>
    Resumed,

    /// <summary>Another turn runs on the cache: this one waits for it.</summary>
    Busy,

    /// <summary>The cache is gone or holds other tokens: the turn fails with <see cref="CacheMissException"/>.</summary>
    Missed,
}
