using Orleans.Concurrency;
using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>Counts a tenant's tokens per key, model and day, writing each change to grain storage before it answers.</summary>
public sealed class UsageGrain(
    [PersistentState("usage", StorageNames.Conversations)] IPersistentState<UsageState> state) : Grain, IUsageGrain
{
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
    public Task<long> TokensOn(DateOnly day) =>
        Task.FromResult(state.State.Records.Where(r => r.Day == day).Sum(r => r.PromptTokens + r.CompletionTokens));
}
