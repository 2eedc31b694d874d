namespace LlamaOrleans.Http.Limits;

/// <summary>
/// Tokens a running request holds against its tenant's daily quota, at most what it may spend, in the tenant's usage
/// grain. Disposing it (once the turn's usage is recorded) gives them back, so the quota then counts what was
/// actually spent.
/// </summary>
public sealed class QuotaReservation : IAsyncDisposable
{
    /// <summary>For tenants without a quota: holds nothing.</summary>
    public static readonly QuotaReservation None = new(null, Guid.Empty);

    private readonly IUsageGrain? _usage;
    private Guid _id;

    internal QuotaReservation(IUsageGrain? usage, Guid id)
    {
        _usage = usage;
        _id = id;
    }

    public async ValueTask DisposeAsync()
    {
        var id = _id;
        _id = Guid.Empty;
        if (_usage is not null && id != Guid.Empty)
        {
            await _usage.Release(id);
        }
    }
}
