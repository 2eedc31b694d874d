using LlamaOrleans.Http.Auth;
using LlamaOrleans.Http.Errors;
using LlamaOrleans.Http.Options;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Http.Limits;

/// <summary>
/// Admits turns against their tenant's daily token quota (429 until the next UTC day once it is spent). Each admitted
/// turn reserves the most it may spend (prompt plus maximum reply) until its usage is recorded, and a turn is admitted
/// only while the tokens used and reserved are below the quota. The reservations are held by the tenant's usage grain,
/// one for the whole cluster, so concurrent turns on any number of silos overshoot the quota by at most one turn's
/// maximum.
/// </summary>
public sealed class QuotaGuard(IGrainFactory grains, IOptions<HttpApiOptions> options, TimeProvider time)
{
    /// <summary>How long a reservation is held if its silo never gives it back (it died mid-turn).</summary>
    public static readonly TimeSpan ReservationLease = TimeSpan.FromMinutes(30);

    public long? DailyTokens(string tenant) =>
        options.Value.Quotas.TryGetValue(tenant, out var quota) ? quota.DailyTokens : null;

    /// <summary>Admits a turn that may spend up to <paramref name="maxTokens"/>; dispose the reservation once its usage is recorded.</summary>
    /// <exception cref="ApiException">The quota is spent, or held by turns running now (429).</exception>
    public async Task<QuotaReservation> ReserveAsync(Caller caller, long maxTokens)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (DailyTokens(caller.Tenant) is not { } limit)
        {
            return QuotaReservation.None;
        }

        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var usage = grains.GetGrain<IUsageGrain>(caller.Tenant);
        var admission = await usage.Reserve(today, limit, maxTokens, ReservationLease);
        if (admission.Admitted)
        {
            return new QuotaReservation(usage, admission.Reservation);
        }

        var (used, reserved) = (admission.Used, admission.Reserved);
        var tomorrow = new DateTimeOffset(today.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var held = reserved > 0 ? $" ({reserved} more are reserved by requests running now)" : string.Empty;
        throw new ApiException(new ApiError(429,
            $"Tenant '{caller.Tenant}' has used {used} of its {limit} tokens for {today:yyyy-MM-dd} (UTC){held}; the quota renews at midnight UTC.",
            ApiErrorTypes.InsufficientQuota, Code: "insufficient_quota", RetryAfter: reserved > 0 && used < limit ? ErrorMapping.BusyRetry : tomorrow - now));
    }
}
