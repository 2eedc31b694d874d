using LlamaOrleans.Http.Auth;
using LlamaOrleans.Http.Errors;
using LlamaOrleans.Http.Options;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Http.Limits;

/// <summary>Refuses turns of a tenant that has spent its daily token quota (429 until the next UTC day).</summary>
public sealed class QuotaGuard(IGrainFactory grains, IOptions<HttpApiOptions> options, TimeProvider time)
{
    public long? DailyTokens(string tenant) =>
        options.Value.Quotas.TryGetValue(tenant, out var quota) ? quota.DailyTokens : null;

    /// <exception cref="ApiException">The quota is spent.</exception>
    public async Task EnsureAvailableAsync(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (DailyTokens(caller.Tenant) is not { } limit)
        {
            return;
        }

        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var used = await grains.GetGrain<IUsageGrain>(caller.Tenant).TokensOn(today);
        if (used >= limit)
        {
            var tomorrow = new DateTimeOffset(today.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            throw new ApiException(new ApiError(429,
                $"Tenant '{caller.Tenant}' has used {used} of its {limit} tokens for {today:yyyy-MM-dd} (UTC); the quota renews at midnight UTC.",
                ApiErrorTypes.InsufficientQuota, Code: "insufficient_quota", RetryAfter: tomorrow - now));
        }
    }
}
