using System.Globalization;

namespace LlamaOrleans.Http.Endpoints;

/// <summary><c>GET /v1/usage?from=YYYY-MM-DD&amp;to=YYYY-MM-DD</c>: the caller's tenant's tokens by day, key and model (default: today, UTC).</summary>
public sealed class UsageEndpoint(IGrainFactory grains, UsageMeter meter, QuotaGuard quotas)
{
    public const int MaxDays = 366;

    public async Task<UsageResponse> GetAsync(HttpContext context, string? from, string? to)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        var end = Day(to, "to") ?? meter.Today;
        var start = Day(from, "from") ?? end;
        if (start > end || end.DayNumber - start.DayNumber >= MaxDays)
        {
            throw ApiException.BadRequest($"from must not be after to, and the range at most {MaxDays} days.", "from", "invalid_value");
        }

        var records = await grains.GetGrain<IUsageGrain>(caller.Tenant).Get(start, end);
        return new UsageResponse(caller.Tenant, Format(start), Format(end),
            [.. records.Select(r => new UsageItem(Format(r.Day), r.Key, r.Model, r.Requests, r.PromptTokens, r.CompletionTokens))],
            quotas.DailyTokens(caller.Tenant));
    }

    private static DateOnly? Day(string? value, string param) =>
        value is null ? null
        : DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day
        : throw ApiException.BadRequest($"{param} must be a date as YYYY-MM-DD.", param, "invalid_value");

    private static string Format(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
