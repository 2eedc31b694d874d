using LlamaOrleans.Client;
using Orleans.Runtime;

namespace Llama.Cli;

/// <summary>Runs a command against a cluster: a cluster that cannot be reached, or fails, is one line on stderr and exit code 1.</summary>
internal static class ClusterCommand
{
    public static async Task<int> RunAsync(ClusterAddress address, TextWriter stderr, Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (ClusterUnavailableException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            stderr.WriteLine($"error: the cluster at {address.Description} failed: {e.Message.Split('\n')[0].Trim()}");
            return 1;
        }
    }
}
