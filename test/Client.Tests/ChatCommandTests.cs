using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Llama.Cli;
using LlamaOrleans.Client.Tests.TestDoubles;

namespace LlamaOrleans.Client.Tests;

public sealed partial class ChatCommandTests(ClusterFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // The command blocks on its own async work, as in the real program: keep it off the test's synchronization context.
    private static async Task<(int Code, string Out, string Err)> RunAsync(string input, params string[] args)
    {
        using var stdin = new StringReader(input);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Task.Run(() => CliApp.Run(args, stdin, stdout, stderr, Cancel), Cancel);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private Task<(int Code, string Out, string Err)> ChatAsync(string input, params string[] args) =>
        RunAsync(input, ["chat", "--silo", fixture.Gateway, .. args]);

    [GeneratedRegex(@"^conversation ([0-9a-f]{32})$", RegexOptions.Multiline)]
    private static partial Regex NewConversationLine();

    [Fact]
    public async Task A_message_prints_the_reply_and_a_new_conversation_can_be_resumed_by_its_printed_id()
    {
        var (code, output, error) = await ChatAsync("", "--message", "hello world");

        Assert.Equal(0, code);
        Assert.Equal("echo: hello world" + Environment.NewLine, output);
        var id = NewConversationLine().Match(error).Groups[1].Value;
        Assert.NotEmpty(id);
        Assert.Contains("[context 5/512 tokens]", error, StringComparison.Ordinal);

        var resumed = await ChatAsync("", "--conversation", id, "--message", "again");
        Assert.Equal((0, "echo: again" + Environment.NewLine), (resumed.Code, resumed.Out));
        Assert.DoesNotContain("conversation ", resumed.Err, StringComparison.Ordinal);
        Assert.Equal(2, (await fixture.Client.Conversation(id).StatusAsync(Cancel)).Turns);
    }

    [Fact]
    public async Task Settings_options_configure_the_conversation()
    {
        var id = LlamaOrleansClient.NewConversationId();

        var (code, _, _) = await ChatAsync("", "--conversation", id, "--system", "be brief", "--model", "tiny", "--temperature", "0",
            "--max-tokens", "7", "--message", "hi");

        Assert.Equal(0, code);
        Assert.Equal(new ConversationSettings { Model = "tiny", SystemPrompt = "be brief", Temperature = 0, MaxReplyTokens = 7 },
            (await fixture.Client.Conversation(id).StatusAsync(Cancel)).Settings);
    }

    [Fact]
    public async Task A_message_with_json_prints_the_turn_as_json()
    {
        var id = LlamaOrleansClient.NewConversationId();

        var (code, output, _) = await ChatAsync("", "--conversation", id, "--message", "one two", "--json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(id, root.GetProperty("conversationId").GetString());
        Assert.Equal("echo: one two", root.GetProperty("turn").GetProperty("reply").GetString());
        Assert.Equal("stop", root.GetProperty("turn").GetProperty("finishReason").GetString());
        Assert.Equal(2, root.GetProperty("turn").GetProperty("promptTokens").GetInt32());
        Assert.Equal(5, root.GetProperty("contextTokens").GetInt32());
        Assert.Equal(512, root.GetProperty("contextLimit").GetInt32());
    }

    [Fact]
    public async Task History_prints_the_transcript_as_text_or_json()
    {
        var conversation = fixture.Client.NewConversation();
        await conversation.ConfigureAsync(new ConversationSettings(), Cancel);
        await conversation.SendAsync("first", "m-1", Cancel);

        var text = await ChatAsync("", "--conversation", conversation.Id, "--history");
        var json = await ChatAsync("", "--conversation", conversation.Id, "--history", "--json");

        Assert.Equal((0, $"user: first{Environment.NewLine}assistant: echo: first{Environment.NewLine}"), (text.Code, text.Out));
        Assert.Equal(0, json.Code);
        using var document = JsonDocument.Parse(json.Out);
        var entries = document.RootElement.EnumerateArray().ToList();
        Assert.Equal(["user", "assistant"], entries.Select(e => e.GetProperty("role").GetString()));
        Assert.Equal(["first", "echo: first"], entries.Select(e => e.GetProperty("content").GetString()));
        Assert.All(entries, e => Assert.Equal("m-1", e.GetProperty("messageId").GetString()));
        Assert.All(entries, e => Assert.True(e.GetProperty("inContext").GetBoolean()));
    }

    [Fact]
    public async Task The_repl_streams_replies_shows_context_and_runs_its_commands()
    {
        var id = LlamaOrleansClient.NewConversationId();
        const string input = "hello\n\n/state\n/history\n/bogus\n/reset\n/history\n/help\n/quit\nnever sent\n";

        var (code, output, error) = await ChatAsync(input, "--conversation", id, "--system", "sys");

        Assert.Equal(0, code);
        var lines = output.Split(Environment.NewLine);
        Assert.Equal($"conversation {id} (resume with --conversation {id}); /help lists commands", lines[0]);
        Assert.Equal("> echo: hello", lines[1]);
        Assert.Equal("[context 4/512 tokens]", lines[2]);
        Assert.Contains($"> conversation {id}", output, StringComparison.Ordinal);
        Assert.Contains("model demo, temperature 0.6, top-p 0.9, max reply tokens none, seed none, context policy Trim", output, StringComparison.Ordinal);
        Assert.Contains("system prompt: sys", output, StringComparison.Ordinal);
        Assert.Contains("turns 1, context 4/512 tokens, trims 0, summaries 0", output, StringComparison.Ordinal);
        Assert.Contains("KV cache: 3 tokens on demo@test-silo", output, StringComparison.Ordinal);
        Assert.Contains("> user: hello" + Environment.NewLine + "assistant: echo: hello", output, StringComparison.Ordinal);
        Assert.Contains("> conversation reset: the dialog is forgotten, the settings stay", output, StringComparison.Ordinal);
        Assert.Contains("> (no messages)", output, StringComparison.Ordinal);
        Assert.Contains("/quit     leave", output, StringComparison.Ordinal);
        Assert.Equal("unknown command /bogus; /help lists the commands" + Environment.NewLine, error);
        Assert.Equal(0, (await fixture.Client.Conversation(id).StatusAsync(Cancel)).Turns);
    }

    [Fact]
    public async Task The_repl_reports_a_refused_turn_goes_on_and_ends_with_its_input()
    {
        var id = LlamaOrleansClient.NewConversationId();

        var (code, output, error) = await ChatAsync("an overflow\nfine\n", "--conversation", id);

        Assert.Equal(0, code);
        Assert.Equal("error: the message does not fit the model's context" + Environment.NewLine, error);
        Assert.Contains("echo: fine", output, StringComparison.Ordinal);
        Assert.EndsWith("> " + Environment.NewLine, output, StringComparison.Ordinal);
        Assert.Equal(["fine", "echo: fine"], (await fixture.Client.Conversation(id).HistoryAsync(Cancel)).Select(e => e.Content));
    }

    [Fact]
    public async Task A_refusal_outside_the_repl_is_one_line_and_exit_code_1()
    {
        var unknownModel = await ChatAsync("", "--model", EchoConversationGrain.MissingModel, "--message", "hi");
        var unknownConversation = await ChatAsync("", "--conversation", LlamaOrleansClient.NewConversationId(), "--history");

        Assert.Equal((1, "", "error: model 'missing' is not hosted by the cluster" + Environment.NewLine),
            (unknownModel.Code, unknownModel.Out, unknownModel.Err));
        Assert.Equal(1, unknownConversation.Code);
        Assert.Matches(@"^error: conversation '[0-9a-f]{32}' does not exist; configure it first\r?\n$", unknownConversation.Err);
    }

    [Fact]
    public async Task No_silo_at_the_address_is_one_line_and_exit_code_1()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, output, error) = await RunAsync("", "chat", "--silo", $"127.0.0.1:{port}", "--message", "hi");

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.StartsWith($"error: no silo answered at 127.0.0.1:{port} (cluster id 'dev', service id 'llama-orleans') (", error, StringComparison.Ordinal);
        Assert.EndsWith("start one, or pass the silo's --silo HOST:PORT, --cluster-id and --service-id" + Environment.NewLine, error, StringComparison.Ordinal);
        Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_cluster_of_other_ids_is_not_joined_and_the_error_names_the_ids_tried()
    {
        var (code, output, error) = await RunAsync("", "chat", "--silo", fixture.Gateway, "--cluster-id", "elsewhere", "--service-id", "other",
            "--message", "hi");

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.StartsWith($"error: no silo answered at {fixture.Gateway} (cluster id 'elsewhere', service id 'other') (", error, StringComparison.Ordinal);
        Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("--history needs --conversation ID", "--history")]
    [InlineData("--history and --message do not go together", "--history", "--conversation", "c", "--message", "hi")]
    [InlineData("--history only reads: it takes no --system, --model, --temperature or --max-tokens", "--history", "--conversation", "c", "--model", "m")]
    [InlineData("--max-tokens must be an integer of at least 1, got '0'", "--max-tokens", "0")]
    [InlineData("--json goes with --message or --history", "--json")]
    [InlineData("--silo must be HOST:PORT, got 'nowhere'", "--silo", "nowhere")]
    [InlineData("--temperature must be 0 (greedy) or positive", "--temperature", "-1")]
    [InlineData("--temperature must be a number, got 'hot'", "--temperature", "hot")]
    [InlineData("--message is empty", "--message", " ")]
    [InlineData("--model is empty", "--model", "")]
    [InlineData("--conversation must be a non-empty id", "--conversation", "")]
    [InlineData("--cluster-id must be a non-empty id", "--cluster-id", " ")]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("unexpected argument 'hello'", "hello")]
    public async Task Bad_command_lines_are_usage_errors_found_before_connecting(string message, params string[] args)
    {
        var (code, output, error) = await RunAsync("", ["chat", .. args]);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Equal($"error: {message} (see llama-orleans --help){Environment.NewLine}", error);
    }

    [Fact]
    public async Task Help_lists_the_chat_command()
    {
        var (code, output, _) = await RunAsync("", "--help");

        Assert.Equal(0, code);
        Assert.Contains("llama-orleans chat [--conversation ID]", output, StringComparison.Ordinal);
    }
}
