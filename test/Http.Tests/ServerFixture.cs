using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

[assembly: AssemblyFixture(typeof(LlamaOrleans.Http.Tests.ServerFixture))]

namespace LlamaOrleans.Http.Tests;

/// <summary>
/// One <c>llama-orleans-silo</c> process for every test here, serving the demo model over HTTP with API keys required.
/// Each test class uses keys of its own tenants, so limits and usage of one do not meet another's.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string Model = "demo";

    /// <summary>Bodies larger than this get 413 (kept small so the test need not send a megabyte).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public const int LimitedRequestsPerMinute = 5;
    public const long QuotaDailyTokens = 40;
    public const long RaceDailyTokens = 100;

    /// <summary>Plain keys by name; the server is configured with their SHA-256 only.</summary>
    private static readonly (string Name, string Tenant, string Key, string Extra)[] Keys =
    [
        ("alice", "alice", "sk-alice-0123456789", string.Empty),
        ("alice-second", "alice", "sk-alice-second-0123456789", string.Empty),
        ("bob", "bob", "sk-bob-0123456789", string.Empty),
        ("sdk", "sdk", "sk-sdk-0123456789", string.Empty),
        ("sse", "sse", "sk-sse-0123456789", string.Empty),
        ("errors", "errors", "sk-errors-0123456789", string.Empty),
        ("meter", "meter", "sk-meter-0123456789", string.Empty),
        ("fuzz", "fuzz", "sk-fuzz-0123456789", "RequestsPerMinute=100000"),
        ("limited", "limited", "sk-limited-0123456789", $"RequestsPerMinute={LimitedRequestsPerMinute}"),
        ("streams", "streams", "sk-streams-0123456789", "MaxConcurrentStreams=1"),
        ("quota", "quota", "sk-quota-0123456789", string.Empty),
        ("logprobs", "logprobs", "sk-logprobs-0123456789", string.Empty),
        ("paths", "paths", "sk-paths-0123456789", $"RequestsPerMinute={LimitedRequestsPerMinute}"),
        ("race", "race", "sk-race-0123456789", string.Empty),
        ("aborts", "aborts", "sk-aborts-0123456789", string.Empty),
        ("conversation-aborts", "conversation-aborts", "sk-conversation-aborts-0123456789", string.Empty),
    ];

    private readonly HttpSilo _server = new("http", "llama-http-tests-", extraPorts: 1);

    public Uri BaseAddress => _server.BaseAddress;

    /// <summary>The listener of its own that serves /metrics (<c>Http:Metrics:Urls</c>).</summary>
    public Uri MetricsAddress => new($"http://127.0.0.1:{Text(_server.ExtraPorts[0])}/");

    /// <summary>When the silo process was started: the models it serves were loaded after this.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    public SiloProcess Silo => _server.Process;

    public static string KeyOf(string name) => Keys.Single(k => k.Name == name).Key;

    /// <summary>A client with <paramref name="keyName"/>'s key, or none when null.</summary>
    public HttpClient Client(string? keyName)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (keyName is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", KeyOf(keyName));
        }

        return client;
    }

    public async ValueTask InitializeAsync()
    {
        var settings = new Dictionary<string, string>
        {
            ["Http:Metrics:Urls"] = $"http://127.0.0.1:{Text(_server.ExtraPorts[0])}",
            ["Http:RequireApiKey"] = "true",
            ["Http:MaxRequestBodyBytes"] = Text(MaxBodyBytes),
            ["Http:RateLimits:RequestsPerMinute"] = "600",
            ["Http:RateLimits:MaxConcurrentStreams"] = "8",
            ["Http:Quotas:quota:DailyTokens"] = Text(QuotaDailyTokens),
            ["Http:Quotas:race:DailyTokens"] = Text(RaceDailyTokens),
        };
        for (var i = 0; i < Keys.Length; i++)
        {
            var (name, tenant, key, extra) = Keys[i];
            settings[$"Http:ApiKeys:{i}:Name"] = name;
            settings[$"Http:ApiKeys:{i}:Tenant"] = tenant;
            settings[$"Http:ApiKeys:{i}:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
            if (extra.Length > 0)
            {
                var (setting, value) = (extra[..extra.IndexOf('=', StringComparison.Ordinal)], extra[(extra.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                settings[$"Http:ApiKeys:{i}:{setting}"] = value;
            }
        }

        StartedAt = DateTimeOffset.UtcNow;
        await _server.StartAsync(settings);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
