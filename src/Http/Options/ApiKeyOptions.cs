namespace LlamaOrleans.Http.Options;

/// <summary>An API key: which tenant it belongs to, its name (for usage and logs) and the SHA-256 of the key.</summary>
public sealed class ApiKeyOptions
{
    public string Tenant { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>Lower- or upper-case hex of the SHA-256 of the key's UTF-8 bytes; the key itself is never configured.</summary>
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>Overrides <see cref="RateLimitOptions.RequestsPerMinute"/> for this key.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Overrides <see cref="RateLimitOptions.MaxConcurrentStreams"/> for this key.</summary>
    public int? MaxConcurrentStreams { get; set; }
}
