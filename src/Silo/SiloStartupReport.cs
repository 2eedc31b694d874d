using LlamaOrleans.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Silo;

/// <summary>Logs, once the silo is up, where it listens, where state goes and which models it knows.</summary>
internal sealed partial class SiloStartupReport(
    IOptions<SiloOrleansOptions> orleans,
    IOptions<SiloStorageOptions> storage,
    IOptions<LlamaHostingOptions> llama,
    ILogger<SiloStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = orleans.Value;
        LogListening(o.ClusterId, o.ServiceId, o.ClusteringMode, o.SiloPort, o.GatewayPort);
        LogStorage(storage.Value.Provider, storage.Value.Provider == StorageProviders.Sqlite ? storage.Value.DataSource : $"ConnectionStrings:{storage.Value.Provider}");
        foreach (var model in llama.Value.Models)
        {
            LogModel(model.Name, model.Host ? "hosted here" : "hosted elsewhere", model.Random?.Describe() ?? model.Path, model.Tokenizer);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Silo up: cluster {ClusterId}, service {ServiceId}, {Clustering} clustering, silo port {SiloPort}, gateway port {GatewayPort}")]
    private partial void LogListening(string clusterId, string serviceId, string clustering, int siloPort, int gatewayPort);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation state: {Provider} at {DataSource}")]
    private partial void LogStorage(string provider, string dataSource);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Name} ({Where}): {Path}, tokenizer {Tokenizer}")]
    private partial void LogModel(string name, string where, string path, string tokenizer);
}
