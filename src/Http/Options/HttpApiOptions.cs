using LlamaOrleans.Http.WebUi;

namespace LlamaOrleans.Http.Options;

/// <summary>The "Http" configuration section: whether and where the silo serves its HTTP API, keys, limits and quotas.</summary>
public sealed class HttpApiOptions
{
    public const string SectionName = "Http";

    /// <summary>Serve the HTTP API from the silo process; false hosts the silo without a web server.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where Kestrel listens, separated by ';' (e.g. <c>http://0.0.0.0:8080</c>).</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Refuse /v1 requests without a configured key (401); off, they run as tenant <see cref="AnonymousTenant"/>.</summary>
    public bool RequireApiKey { get; set; }

    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Limits of every key (each key may override them).</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Where <c>/metrics</c> is served.</summary>
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>Token quotas by tenant name.</summary>
    public Dictionary<string, QuotaOptions> Quotas { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The chat page served at <c>/</c>.</summary>
    public WebUiOptions WebUi { get; set; } = new();

    /// <summary>The tenant of requests without a key when keys are not required.</summary>
    public const string AnonymousTenant = "default";

    /// <summary>The key name of those requests.</summary>
    public const string AnonymousKey = "anonymous";
}
