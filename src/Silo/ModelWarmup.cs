using System.Collections.Concurrent;
using LlamaOrleans.Grains;
using LlamaOrleans.Http.Health;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace LlamaOrleans.Silo;

/// <summary>
/// Once the silo is up, activates this silo's worker of every model it hosts, which loads the weights, so the first
/// request does not pay for it and readiness can say when the models are loaded. A failed load is retried.
/// </summary>
internal sealed partial class ModelWarmup(IGrainFactory grains, ILocalSiloDetails silo, ModelHost host, ILogger<ModelWarmup> logger) : BackgroundService, IModelReadiness
{
    public const string Loading = "loading";
    public const string Loaded = "loaded";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, string> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _loadedAt = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> States => host.HostedModels.ToDictionary(m => m, m => _states.GetValueOrDefault(m, Loading), StringComparer.Ordinal);

    /// <inheritdoc/>
    public DateTimeOffset LoadedAt(string model) => _loadedAt.GetValueOrDefault(model, _started);

    public bool AllLoaded => host.HostedModels.All(m => _states.GetValueOrDefault(m) == Loaded);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var siloKey = silo.SiloAddress.ToParsableString();
        await Task.WhenAll(host.HostedModels.Select(model => Load(model, siloKey, stoppingToken)));
    }

    private async Task Load(string model, string siloKey, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<IModelWorkerGrain>(ModelWorkerKey.For(model, siloKey)).GetStats();
                _loadedAt.TryAdd(model, DateTimeOffset.UtcNow);
                _states[model] = Loaded;
                LogLoaded(model);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var state = $"failed: {e.Message}";
                // The model host logs a failed load itself; this logs a reason once, not on every retry.
                if (_states.GetValueOrDefault(model) != state)
                {
                    LogFailed(model, e.Message, RetryDelay);
                }

                _states[model] = state;
            }

            try
            {
                await Task.Delay(RetryDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} loaded; ready to serve")]
    private partial void LogLoaded(string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading model {Model} failed: {Reason}; retrying every {Delay}")]
    private partial void LogFailed(string model, string reason, TimeSpan delay);
}
