
namespace LlamaOrleans.Tests.Silo;

/// <summary>The silo binary as a separate process: it starts with command-line keys and stops on SIGTERM or SIGKILL.</summary>
public sealed class SiloProcessTests
{
    [Fact]
    public async Task A_silo_process_starts_on_the_given_ports_and_stops_cleanly_on_SIGTERM()
    {
        var ports = FreePorts.Take(2);
        var directory = Directory.CreateTempSubdirectory("llama-silo-process-");
        try
        {
            await using var silo = await SiloProcess.StartAsync("first", directory.FullName, new Dictionary<string, string>
            {
                ["Orleans:SiloPort"] = ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Orleans:GatewayPort"] = ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, ports[1]);

            Assert.Contains($"gateway port {ports[1]}", silo.Output, StringComparison.Ordinal);
            Assert.Equal(0, await silo.StopAsync(TimeSpan.FromSeconds(60)));
            Assert.True(File.Exists(Path.Combine(directory.FullName, "data", "conversations.db")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_killed_silo_process_is_gone_at_once()
    {
        var ports = FreePorts.Take(2);
        var directory = Directory.CreateTempSubdirectory("llama-silo-process-");
        try
        {
            await using var silo = await SiloProcess.StartAsync("victim", directory.FullName, new Dictionary<string, string>
            {
                ["Orleans:SiloPort"] = ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Orleans:GatewayPort"] = ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, ports[1]);

            silo.Kill();
            await Task.Delay(500);
            Assert.True(silo.HasExited);
            Assert.True(FreePorts.IsFree(ports[1]));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_silo_that_cannot_start_reports_its_output()
    {
        var directory = Directory.CreateTempSubdirectory("llama-silo-process-");
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(
                "misconfigured", directory.FullName, new Dictionary<string, string> { ["Orleans:ClusteringMode"] = "Consul" }, 1));
            Assert.Contains("ClusteringMode 'Consul' is not known", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
