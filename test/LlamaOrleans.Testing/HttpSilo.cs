using System.Globalization;

namespace LlamaOrleans.Testing;

/// <summary>
/// A <c>llama-orleans-silo</c> process serving the HTTP API on a loopback port, working in a scratch folder of its own:
/// the server of HTTP and web page tests. Disposing it stops the silo gracefully (SIGTERM) and deletes the folder.
/// </summary>
public sealed class HttpSilo : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly string _name;
    private readonly TempFolder _folder;
    private readonly int[] _ports;
    private SiloProcess? _process;

    /// <param name="extraPorts">Free ports the test needs beside the silo's own (e.g. a metrics listener): <see cref="ExtraPorts"/>.</param>
    public HttpSilo(string name, string folderPrefix, int extraPorts = 0)
    {
        _name = name;
        _folder = new TempFolder(folderPrefix);
        _ports = FreePorts.Take(3 + extraPorts);
        BaseAddress = new Uri($"http://127.0.0.1:{Text(_ports[2])}/");
    }

    /// <summary>Where the HTTP API listens.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The silo's working folder (where relative data paths land), deleted on dispose.</summary>
    public string Folder => _folder.Path;

    public IReadOnlyList<int> ExtraPorts => _ports[3..];

    public SiloProcess Process => _process ?? throw new InvalidOperationException("The silo is not started.");

    /// <summary>A client of the API, with no key.</summary>
    public HttpClient Client() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>
    /// Starts the silo with <paramref name="settings"/> and its silo, gateway and HTTP ports, and waits until it is up
    /// and, with <paramref name="waitUntilReady"/>, until its API answers <c>/readyz</c> (its models are loaded).
    /// </summary>
    /// <exception cref="InvalidOperationException">The process exited or was not ready in time; the message has its output.</exception>
    public async Task StartAsync(IReadOnlyDictionary<string, string> settings, bool waitUntilReady = true, CancellationToken cancellationToken = default)
    {
        var all = new Dictionary<string, string>(settings)
        {
            ["Orleans:SiloPort"] = Text(_ports[0]),
            ["Orleans:GatewayPort"] = Text(_ports[1]),
            ["Http:Urls"] = $"http://127.0.0.1:{Text(_ports[2])}",
        };
        _process = await SiloProcess.StartAsync(_name, Folder, all, _ports[1], cancellationToken: cancellationToken);
        if (waitUntilReady)
        {
            await _process.WaitUntilHttpReadyAsync(BaseAddress, ReadyTimeout, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(StopTimeout);
            await _process.DisposeAsync();
        }

        _folder.Dispose();
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
