using LlamaOrleans.Client;
using LlamaOrleans.Silo;
using Microsoft.Extensions.Configuration;

namespace Llama.Cli;

/// <summary>
/// Where a command finds its cluster: a gateway and the cluster's ids. The ids come from <c>--cluster-id</c> and
/// <c>--service-id</c>, else from the environment variables the silo reads (<c>LLAMA_Orleans__ClusterId</c>, then
/// <c>Orleans__ClusterId</c>; the same for ServiceId), else the silo's defaults. Without <c>--silo</c>, the gateway is
/// this machine's, on the port those variables give the silo (<c>Orleans:GatewayPort</c>), else 30000.
/// </summary>
/// <param name="Silo">The gateway, "host:port".</param>
/// <param name="Named">Whether the command line named the silo (no in-process silo stands in for it).</param>
/// <param name="ClusterId">The cluster id, or null when neither option nor environment sets it.</param>
/// <param name="ServiceId">The service id, or null when neither option nor environment sets it.</param>
internal sealed record ClusterAddress(string Silo, bool Named, string? ClusterId, string? ServiceId)
{
    public const string SiloOption = "silo";
    public const string ClusterIdOption = "cluster-id";
    public const string ServiceIdOption = "service-id";
    public const string Usage = "[--silo HOST:PORT] [--cluster-id ID] [--service-id ID]";

    /// <summary>The option names a command taking a cluster address accepts.</summary>
    public static IReadOnlyList<string> OptionNames { get; } = [SiloOption, ClusterIdOption, ServiceIdOption];

    /// <summary>The ids as the client uses them: the given ones, else the silo's defaults.</summary>
    public string EffectiveClusterId => ClusterId ?? new LlamaOrleansClientOptions().ClusterId;

    public string EffectiveServiceId => ServiceId ?? new LlamaOrleansClientOptions().ServiceId;

    /// <summary>For error messages: where the command looked.</summary>
    public string Description => $"{Silo} (cluster id '{EffectiveClusterId}', service id '{EffectiveServiceId}')";

    /// <summary>Reads the address from <paramref name="line"/> and the environment; bad values are usage errors.</summary>
    public static ClusterAddress From(CommandLine line)
    {
        var environment = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddEnvironmentVariables(LlamaSiloHost.EnvironmentPrefix)
            .Build();
        // Without --silo: this machine's silo on the gateway port the silo itself would take.
        var silo = line.Get(SiloOption) ?? (environment["Orleans:GatewayPort"] is { } port ? $"localhost:{port}" : LlamaOrleansClientOptions.DefaultGateway);
        try
        {
            GatewayEndpoints.Parse(silo);
        }
        catch (FormatException)
        {
            throw new UsageException(line.Has(SiloOption)
                ? $"--silo must be HOST:PORT, got '{silo}'"
                : $"the environment's Orleans:GatewayPort must be a port number, got '{environment["Orleans:GatewayPort"]}'");
        }

        return new ClusterAddress(
            silo,
            line.Has(SiloOption),
            Id(line, ClusterIdOption, environment["Orleans:ClusterId"]),
            Id(line, ServiceIdOption, environment["Orleans:ServiceId"]));
    }

    private static string? Id(CommandLine line, string option, string? fromEnvironment)
    {
        var value = line.Get(option) ?? fromEnvironment;
        if (value is not null && (string.IsNullOrWhiteSpace(value) || value.Any(char.IsControl)))
        {
            throw new UsageException($"--{option} must be a non-empty id");
        }

        return value;
    }
}
