using LlamaOrleans.Http.Options;

namespace LlamaOrleans.Http.Auth;

/// <summary>Who makes a request: the tenant whose data it may see and the key it used, with that key's limits.</summary>
public sealed record Caller(string Tenant, string KeyName, int? RequestsPerMinute, int? MaxConcurrentStreams)
{
    /// <summary>The name rate limits and usage are kept under: tenant and key, since key names are unique per tenant only.</summary>
    public string Partition => $"{Tenant}/{KeyName}";

    public static Caller Anonymous(RateLimitOptions limits) =>
        new(HttpApiOptions.AnonymousTenant, HttpApiOptions.AnonymousKey, limits.RequestsPerMinute, limits.MaxConcurrentStreams);
}
