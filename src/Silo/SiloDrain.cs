using LlamaOrleans.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Silo;

/// <summary>
/// The first step of a graceful stop (SIGTERM): refuses new turns on this silo and waits, up to
/// <see cref="SiloOrleansOptions.ShutdownTimeout"/>, for the running ones to finish. Registered after the Orleans silo,
/// so it stops before it; the silo then deactivates its conversations, whose next calls activate them on other silos.
/// </summary>
internal sealed partial class SiloDrain(TurnGate gate, IOptions<SiloOrleansOptions> options, ILogger<SiloDrain> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var budget = options.Value.ShutdownTimeout;
        var running = gate.Active;
        LogDraining(running, budget);
        var idle = gate.CloseAsync();
        try
        {
            await idle.WaitAsync(budget, cancellationToken);
            LogDrained(running);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogDrainCut(gate.Active, budget);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: new turns refused, waiting up to {Budget} for {Running} running turn(s)")]
    private partial void LogDraining(int running, TimeSpan budget);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drained: {Running} running turn(s) finished; handing conversations over")]
    private partial void LogDrained(int running);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain budget {Budget} spent with {Left} turn(s) still running; stopping anyway (their clients retry elsewhere)")]
    private partial void LogDrainCut(int left, TimeSpan budget);
}
