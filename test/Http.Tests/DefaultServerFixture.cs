using System.Globalization;

namespace LlamaOrleans.Http.Tests;

/// <summary>A silo as a new user starts it: no API keys, none required, every other setting at its default.</summary>
public sealed class DefaultServerFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("llama-http-default-");
    private SiloProcess? _silo;

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public HttpClient Client() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask InitializeAsync()
    {
        var ports = FreePorts.Take(3);
        BaseAddress = new Uri($"http://127.0.0.1:{ports[2]}/");
        _silo = await SiloProcess.StartAsync("default", _directory.FullName, new Dictionary<string, string>
        {
            ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Http:Urls"] = $"http://127.0.0.1:{ports[2]}",
        }, ports[1]);
        await _silo.WaitUntilHttpReadyAsync(BaseAddress, TimeSpan.FromMinutes(1));
    }

    public async ValueTask DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync(TimeSpan.FromSeconds(30));
            await _silo.DisposeAsync();
        }

        _directory.Delete(recursive: true);
    }
}
