using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(LlamaOrleans.WebUi.Tests.WebFixture))]

namespace LlamaOrleans.WebUi.Tests;

/// <summary>
/// One <c>llama-orleans-silo</c> process serving the demo model and the chat page over HTTP, and one headless Chromium
/// (Debian's <c>chromium</c> package, driven by Playwright) for every test here. Keys are configured but not required,
/// so a page without a key runs as the anonymous tenant and each test's key gives it a tenant of its own.
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    public const string Model = "demo";

    /// <summary>
    /// A bigger model of seeded random weights (dim 512, 8 layers) whose replies take seconds where the demo's take
    /// milliseconds: tests that must catch a reply mid-stream (its pieces arriving, Stop pressed) use it, so that on a
    /// loaded machine the reply is not already whole by the time the browser reads it.
    /// </summary>
    public const string SlowModel = "slow";

    /// <summary>Where the build's set-up installs Debian's chromium; Playwright downloads no browser.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    /// <summary>Tenants by key name: one per test, so their conversation lists do not meet.</summary>
    private static readonly string[] Tenants = ["chat", "stop", "resume", "alice", "bob", "trim", "summary", "hostile", "a11y"];

    private readonly HttpSilo _server = new("webui", "llama-webui-tests-");
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public Uri BaseAddress => _server.BaseAddress;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    public static string KeyOf(string tenant) => $"sk-web-{tenant}-0123456789";

    /// <summary>The repository's <c>artifacts/webui</c> folder, where the tests leave their screenshots.</summary>
    public static string ArtifactsDirectory => Directory.CreateDirectory(Repository.Path("artifacts", "webui")).FullName;

    /// <summary>A fresh browser profile whose page uses <paramref name="tenant"/>'s key (none when null), as if typed in once.</summary>
    public async Task<IBrowserContext> NewContextAsync(string? tenant, int width = 1280, int height = 800, ColorScheme scheme = ColorScheme.Light)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = scheme,
        });
        context.SetDefaultTimeout(30_000);
        if (tenant is not null)
        {
            await context.AddInitScriptAsync($"sessionStorage.setItem('llama-orleans-api-key', '{KeyOf(tenant)}');");
        }

        return context;
    }

    /// <summary>An HTTP client of the API with <paramref name="tenant"/>'s key, to check what the page did.</summary>
    public HttpClient Client(string tenant)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", KeyOf(tenant));
        return client;
    }

    public async ValueTask InitializeAsync()
    {
        var settings = new Dictionary<string, string>
        {
            ["Llama:Models:1:Name"] = SlowModel,
            ["Llama:Models:1:Random:Dim"] = "512",
            ["Llama:Models:1:Random:Layers"] = "8",
            ["Llama:Models:1:Random:Heads"] = "8",
            ["Llama:Models:1:Random:Seed"] = "1",
            ["Llama:Models:1:Tokenizer"] = TestData.Tok512,
            ["Llama:Models:1:MaxSeqLen"] = "512",
            ["Llama:Models:1:Threads"] = "1",
            ["Llama:Models:1:Host"] = "true",
        };
        for (var i = 0; i < Tenants.Length; i++)
        {
            settings[$"Http:ApiKeys:{i}:Name"] = Tenants[i];
            settings[$"Http:ApiKeys:{i}:Tenant"] = Tenants[i];
            settings[$"Http:ApiKeys:{i}:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(KeyOf(Tenants[i]))));
        }

        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium with build/setup-chromium.sh (./build.sh test does).");
        }

        // Turns run side by side on a small shared machine: allow them more than Playwright's default 5 s.
        Assertions.SetDefaultExpectTimeout(30_000);
        var silo = _server.StartAsync(settings);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        await silo;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        await _server.DisposeAsync();
    }
}
