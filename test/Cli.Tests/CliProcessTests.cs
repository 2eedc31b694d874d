using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlamaOrleans.Client.Tests;

/// <summary>
/// <c>llama-orleans</c> run as a process, as scripts run it, with no silo to find: the silo it starts in-process logs
/// to stderr only, so stdout is exactly the command's output; and it takes its ids and storage from the environment
/// the silo reads.
/// </summary>
public sealed partial class CliProcessTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"^conversation ([0-9a-f]{32})$", RegexOptions.Multiline)]
    private static partial Regex NewConversationLine();

    [Fact]
    public async Task Without_a_silo_stdout_holds_only_the_reply_and_the_history_json_and_logs_go_to_stderr()
    {
        var directory = Directory.CreateTempSubdirectory("llama-cli-process-");
        try
        {
            var database = Path.Combine(directory.FullName, "elsewhere", "chats.db");
            var ports = FreePorts.Take(2);
            var clusterId = "cli-test-" + Guid.NewGuid().ToString("N")[..8];
            var environment = new Dictionary<string, string>
            {
                ["LLAMA_Orleans__ClusterId"] = clusterId,
                ["LLAMA_Orleans__SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
                ["LLAMA_Orleans__GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
                ["LLAMA_Storage__DataSource"] = database,
            };

            var sent = await RunAsync(directory.FullName, environment, "chat", "--message", "Once upon a time", "--temperature", "0", "--max-tokens", "12");

            Assert.True(sent.Code == 0, sent.Err);
            Assert.Contains($"cluster id '{clusterId}'", sent.Err, StringComparison.Ordinal);
            Assert.Contains($"conversations are kept in {database}.", sent.Err, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(directory.FullName, "data")), "nothing is stored under ./data");
            var id = NewConversationLine().Match(sent.Err).Groups[1].Value;
            Assert.NotEmpty(id);

            var history = await RunAsync(directory.FullName, environment, "chat", "--conversation", id, "--history", "--json");

            Assert.True(history.Code == 0, history.Err);
            using var json = JsonDocument.Parse(history.Out);
            var entries = json.RootElement.EnumerateArray().ToList();
            Assert.Equal(2, entries.Count);
            Assert.Equal("Once upon a time", entries[0].GetProperty("content").GetString());
            Assert.Equal(entries[1].GetProperty("content").GetString() + Environment.NewLine, sent.Out);

            var repl = await RunWithInputAsync(directory.FullName, environment, "/state\n/quit\n", "chat", "--conversation", id);

            Assert.True(repl.Code == 0, repl.Err);
            Assert.StartsWith($"conversation {id} (resume with --conversation {id})", repl.Out, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"(?m)^(trce|dbug|info|warn|fail|crit):", repl.Out);
            Assert.Contains("turns 1, context ", repl.Out, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static Task<(int Code, string Out, string Err)> RunAsync(string directory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunWithInputAsync(directory, environment, string.Empty, args);

    private static async Task<(int Code, string Out, string Err)> RunWithInputAsync(
        string directory, IReadOnlyDictionary<string, string> environment, string input, params string[] args)
    {
        var result = await CliProcess.RunAsync(directory, environment, args, input, cancellationToken: Cancel);
        return (result.ExitCode, result.StandardOutput, result.StandardError);
    }
}
