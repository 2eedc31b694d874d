using Microsoft.Extensions.Options;

namespace LlamaOrleans.Client;

/// <summary>
/// Retries the client's first connection to the cluster for <see cref="LlamaOrleansClientOptions.ConnectTimeout"/>, then
/// fails the host's start with a <see cref="ClusterConnectionException"/> naming the ids and gateways it tried: a wrong
/// cluster id or gateway must not leave an application waiting (and logging) without end.
/// </summary>
internal sealed class ClusterConnectionRetryFilter(IOptions<LlamaOrleansClientOptions> options, TimeProvider clock) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private long? _firstFailure;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        TimeSpan elapsed;
        lock (_gate)
        {
            _firstFailure ??= clock.GetTimestamp();
            elapsed = clock.GetElapsedTime(_firstFailure.Value);
        }

        var settings = options.Value;
        var left = settings.ConnectTimeout - elapsed;
        if (left <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
        {
            var gateways = settings.Gateways.Count > 0 ? settings.Gateways : [LlamaOrleansClientOptions.DefaultGateway];
            throw new ClusterConnectionException(
                $"No silo of cluster '{settings.ClusterId}' (service '{settings.ServiceId}') answered at {string.Join(", ", gateways)} " +
                $"within {settings.ConnectTimeout.TotalSeconds:0.#} s: {exception.Message.Split('\n')[0].Trim()} " +
                "Check the gateways, and that ClusterId and ServiceId are the silos' (their Orleans:ClusterId and Orleans:ServiceId).",
                exception);
        }

        await Task.Delay(RetryDelay < left ? RetryDelay : left, clock, cancellationToken);
        return true;
    }
}
