namespace LlamaOrleans.Http.Json;

/// <summary>The caller's tenant's token usage by day, key and model (<c>GET /v1/usage</c>).</summary>
public sealed record UsageResponse(string Tenant, string From, string To, IReadOnlyList<UsageItem> Data, long? DailyTokenQuota)
{
    public string Object => "list";
}

public sealed record UsageItem(string Date, string Key, string Model, long Requests, long PromptTokens, long CompletionTokens)
{
    public string Object => "usage";

    public long TotalTokens => PromptTokens + CompletionTokens;
}
