using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlamaOrleans.Silo;

/// <summary>Applies Orleans' PostgreSQL scripts before the silo starts (<see cref="SiloStorageOptions.CreatePostgreSqlSchema"/>).</summary>
internal sealed partial class PostgreSqlSchemaSetup(string connectionString, ILogger<PostgreSqlSchemaSetup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await PostgreSqlSchema.EnsureAsync(connectionString, cancellationToken))
        {
            LogApplied();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied Orleans' PostgreSQL scripts to the database")]
    private partial void LogApplied();
}
