using Orleans.Concurrency;
using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>
/// Counts a tenant's tokens per key, model and day, writing each change to grain storage before it answers, and holds
/// the quota reservations of the tenant's running requests (in memory: they last one request).
/// </summary>
public sealed class UsageGrain(
    [PersistentState("usage", StorageNames.Conversations)] IPersistentState<UsageState> state, TimeProvider time) : Grain, IUsageGrain
{
    private readonly Dictionary<Guid, (DateOnly Day, long Tokens, DateTimeOffset Lapses)> _reservations = [];

    public Task<QuotaAdmission> Reserve(DateOnly day, long limit, long tokens, TimeSpan lease)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        var now = time.GetUtcNow();
        foreach (var lapsed in _reservations.Where(r => r.Value.Lapses <= now).Select(r => r.Key).ToArray())
        {
            _reservations.Remove(lapsed);
        }

        var used = Used(day);
        var reserved = _reservations.Values.Where(r => r.Day == day).Sum(r => r.Tokens);
        if (used + reserved >= limit)
        {
            return Task.FromResult(new QuotaAdmission(false, Guid.Empty, used, reserved));
        }

        var id = Guid.NewGuid();
        _reservations[id] = (day, tokens, now + lease);
        // The reservations live in this activation: keep it while they may be released.
        this.DelayDeactivation(lease);
        return Task.FromResult(new QuotaAdmission(true, id, used, reserved));
    }

    public Task Release(Guid reservation)
    {
        _reservations.Remove(reservation);
        return Task.CompletedTask;
    }

    public async Task Record(string key, string model, DateOnly day, int promptTokens, int completionTokens)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(completionTokens);
        var records = state.State.Records;
        var index = records.FindIndex(r => r.Day == day && r.Key == key && r.Model == model);
        var current = index >= 0 ? records[index] : new UsageRecord { Day = day, Key = key, Model = model };
        var updated = current with
        {
            Requests = current.Requests + 1,
            PromptTokens = current.PromptTokens + promptTokens,
            CompletionTokens = current.CompletionTokens + completionTokens,
        };
        if (index >= 0)
        {
            records[index] = updated;
        }
        else
        {
            records.Add(updated);
        }

        await state.WriteStateAsync();
    }

    [ReadOnly]
    public Task<IReadOnlyList<UsageRecord>> Get(DateOnly from, DateOnly to) =>
        Task.FromResult<IReadOnlyList<UsageRecord>>(state.State.Records
            .Where(r => r.Day >= from && r.Day <= to)
            .OrderBy(r => r.Day).ThenBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Model, StringComparer.Ordinal)
            .ToArray());

    [ReadOnly]
    public Task<long> TokensOn(DateOnly day) => Task.FromResult(Used(day));

    private long Used(DateOnly day) => state.State.Records.Where(r => r.Day == day).Sum(r => r.PromptTokens + r.CompletionTokens);
}
