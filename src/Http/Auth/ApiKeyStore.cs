using System.Security.Cryptography;
using System.Text;
using LlamaOrleans.Http.Options;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Http.Auth;

/// <summary>
/// The configured API keys by the SHA-256 of the key, so that a presented key is found by hashing it: the keys
/// themselves are never stored or compared.
/// </summary>
public sealed class ApiKeyStore
{
    private readonly Dictionary<string, Caller> _byHash;

    public ApiKeyStore(IOptions<HttpApiOptions> options)
    {
        var settings = options.Value;
        Limits = settings.RateLimits;
        RequireApiKey = settings.RequireApiKey;
        _byHash = settings.ApiKeys.ToDictionary(
            k => k.Sha256.ToUpperInvariant(),
            k => new Caller(k.Tenant, k.Name, k.RequestsPerMinute ?? Limits.RequestsPerMinute, k.MaxConcurrentStreams ?? Limits.MaxConcurrentStreams),
            StringComparer.Ordinal);
    }

    public bool RequireApiKey { get; }

    /// <summary>
    /// No keys are configured and none are required: the server cannot tell keys apart, so whatever key a client
    /// sends (OpenAI's libraries refuse to send none) runs as the anonymous caller.
    /// </summary>
    public bool Open => !RequireApiKey && _byHash.Count == 0;

    public RateLimitOptions Limits { get; }

    /// <summary>Hex of the SHA-256 of <paramref name="key"/>'s UTF-8 bytes, as configured in <see cref="ApiKeyOptions.Sha256"/>.</summary>
    public static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public Caller? Find(string key) => _byHash.GetValueOrDefault(Hash(key));
}
