using System.Threading.RateLimiting;
using LlamaOrleans.Http.Auth;
using LlamaOrleans.Http.Errors;

namespace LlamaOrleans.Http.Limits;

/// <summary>Caps each key's open streamed replies (ASP.NET Core's concurrency limiter, one partition per key, no queue).</summary>
public sealed class StreamLimiter : IDisposable
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly PartitionedRateLimiter<Caller> _limiter = PartitionedRateLimiter.Create<Caller, string>(caller =>
        caller.MaxConcurrentStreams is > 0 and var permits
            ? RateLimitPartition.GetConcurrencyLimiter(caller.Partition, _ => new ConcurrencyLimiterOptions { PermitLimit = permits, QueueLimit = 0 })
            : RateLimitPartition.GetNoLimiter(string.Empty));

    /// <summary>A lease for one stream; dispose it when the stream ends.</summary>
    /// <exception cref="ApiException">The key has as many streams open as it may (429).</exception>
    public RateLimitLease Acquire(Caller caller)
    {
        var lease = _limiter.AttemptAcquire(caller);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        throw new ApiException(new ApiError(429,
            $"Key '{caller.KeyName}' already has {caller.MaxConcurrentStreams} streams open; wait for one to end.",
            ApiErrorTypes.RateLimit, Code: "too_many_streams", RetryAfter: RetryAfter));
    }

    public void Dispose() => _limiter.Dispose();
}
