using LlamaOrleans.Http.Auth;
using LlamaOrleans.Http.Generation;
using LlamaOrleans.Http.Telemetry;

namespace LlamaOrleans.Http.Limits;

/// <summary>Counts each turn's tokens for the caller's tenant, key, model and day, in grain storage and in metrics.</summary>
public sealed class UsageMeter(IGrainFactory grains, HttpApiTelemetry telemetry, TimeProvider time)
{
    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    public async Task RecordAsync(Caller caller, string model, TurnEnd end)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(end);
        if (end.Replayed)
        {
            // A repeated message id returns the recorded reply; nothing was generated.
            return;
        }

        telemetry.TokenCount.Add(end.PromptTokens, new("tenant", caller.Tenant), new("model", model), new("kind", "prompt"));
        telemetry.TokenCount.Add(end.CompletionTokens, new("tenant", caller.Tenant), new("model", model), new("kind", "completion"));
        await grains.GetGrain<IUsageGrain>(caller.Tenant).Record(caller.KeyName, model, Today, end.PromptTokens, end.CompletionTokens);
    }
}
