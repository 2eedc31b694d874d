namespace LlamaOrleans.Http.Limits;

/// <summary>
/// Tokens a running request holds against its tenant's daily quota, at most what it may spend. Disposing it (once
/// the turn's usage is recorded) gives them back, so the quota then counts what was actually spent.
/// </summary>
public sealed class QuotaReservation : IDisposable
{
    /// <summary>For tenants without a quota: holds nothing.</summary>
    public static readonly QuotaReservation None = new(null, default, 0);

    private readonly QuotaGuard? _guard;
    private readonly (string Tenant, DateOnly Day) _key;
    private long _tokens;

    internal QuotaReservation(QuotaGuard? guard, (string Tenant, DateOnly Day) key, long tokens)
    {
        _guard = guard;
        _key = key;
        _tokens = tokens;
    }

    public void Dispose()
    {
        var tokens = Interlocked.Exchange(ref _tokens, 0);
        if (tokens > 0)
        {
            _guard?.Release(_key, tokens);
        }
    }
}
