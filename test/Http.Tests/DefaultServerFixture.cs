namespace LlamaOrleans.Http.Tests;

/// <summary>A silo as a new user starts it: no API keys, none required, every other setting at its default.</summary>
public sealed class DefaultServerFixture : IAsyncLifetime
{
    private readonly HttpSilo _server = new("default", "llama-http-default-");

    public Uri BaseAddress => _server.BaseAddress;

    public HttpClient Client() => _server.Client();

    public async ValueTask InitializeAsync() => await _server.StartAsync(new Dictionary<string, string>());

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
