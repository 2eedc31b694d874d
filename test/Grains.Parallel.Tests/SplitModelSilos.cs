using System.Globalization;

namespace LlamaOrleans.Parallel.Tests;

/// <summary>
/// Silo processes hosting ranks of "tp" and stages of "pp", sharing the cluster's folder (so one SQLite conversation
/// store); the first is the cluster's primary, and the client connects to its gateway.
/// </summary>
internal static class SplitModelSilos
{
    /// <summary>Starts a silo hosting the given ranks of "tp" and stages of "pp"; returns it with its silo port.</summary>
    public static async Task<(SiloProcess Silo, int SiloPort)> StartSiloAsync(this ProcessCluster cluster, string name, int[] tensorRanks, int[] pipelineStages)
    {
        var settings = SplitModels.Settings("Llama:", tensorRanks, pipelineStages).ToDictionary(s => s.Key, s => s.Value!);
        var primary = cluster.Members.FirstOrDefault();
        if (primary is not null)
        {
            settings["Orleans:PrimarySiloPort"] = primary.SiloPort.ToString(CultureInfo.InvariantCulture);
        }

        var member = await cluster.StartSiloAsync(name, settings);
        if (primary is null)
        {
            await cluster.ConnectAsync();
        }

        return (member.Process, member.SiloPort);
    }
}
