using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>
/// Tells the model registry which models (and ranks of split models) this silo hosts once the silo is active, again every
/// <see cref="Period"/>, and at once when a silo leaves the cluster: the registry's activation may have left with it, and
/// the one that replaces it knows nothing until the silos tell it.
/// </summary>
public sealed partial class ModelRegistration(
    IGrainFactory grains, ILocalSiloDetails silo, ModelHost host, IClusterMembershipService membership, ILogger<ModelRegistration> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private Task _onLeave = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ModelRegistration), ServiceLifecycleStage.Active, Start, Stop);

    private async Task Start(CancellationToken cancellationToken)
    {
        await RegisterOnce();
        _loop = Task.Run(async () =>
        {
            // Ranks of split models load in the background; each one loaded is registered at once.
            var loading = host.LoadShardsAsync(RegisterOnce, _stop.Token);
            using var timer = new PeriodicTimer(Period);
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                await RegisterOnce().ConfigureAwait(false);
            }

            await loading.ConfigureAwait(false);
        });
        _onLeave = Task.Run(async () =>
        {
            var dead = new HashSet<SiloAddress>();
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stop.Token).ConfigureAwait(false))
            {
                var left = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).Where(dead.Add).ToArray();
                if (left.Length > 0)
                {
                    await RegisterOnce().ConfigureAwait(false);
                }
            }
        });
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_loop, _onLeave).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RegisterOnce()
    {
        try
        {
            await grains.GetGrain<IModelRegistryGrain>(0).Register(silo.SiloAddress.ToParsableString(), host.Describe());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogRegisterFailed(e, silo.SiloAddress, Period);
        }
    }

    public void Dispose() => _stop.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registering the models of silo {Silo} failed; retrying in {Period}")]
    private partial void LogRegisterFailed(Exception exception, SiloAddress silo, TimeSpan period);
}
