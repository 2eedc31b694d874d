namespace LlamaOrleans.Http.Options;

/// <summary>
/// Where <c>/metrics</c> is served. Its series name tenants and models and it needs no key, so a deployment whose API
/// port is public serves it on a listener of its own that only the scraper can reach.
/// </summary>
public sealed class MetricsOptions
{
    /// <summary>
    /// Empty: <c>/metrics</c> is served on the API's addresses. Set (<c>;</c>-separated, e.g. <c>http://0.0.0.0:9090</c>):
    /// Kestrel also listens there, and <c>/metrics</c> is served only on those ports.
    /// </summary>
    public string Urls { get; set; } = string.Empty;

    public IReadOnlyList<string> UrlList => Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
