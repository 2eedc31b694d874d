using LlamaOrleans;
using LlamaOrleans.Client;
using LlamaOrleans.Silo;
using Orleans.Runtime;

namespace Llama.Cli;

/// <summary>
/// <c>llama-orleans chat</c>: talks to a conversation of a running cluster. Interactive by default; with
/// <c>--message</c> it sends one message and prints the reply, with <c>--history</c> it prints the transcript.
/// A refusal of the conversation, or a cluster that does not answer, is one line on stderr and exit code 1.
/// </summary>
internal static class ChatCommand
{
    public const string Usage =
        "llama-orleans chat [--conversation ID] [--system TEXT] [--model NAME] [--temperature T] [--max-tokens N]\n" +
        "    " + ClusterAddress.Usage + " [--message TEXT] [--history] [--json]\n" +
        "    interactive unless --message or --history; a new conversation id is made and printed unless --conversation";

    public static int Run(IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken) =>
        RunAsync(args, stdin, stdout, stderr, cancellationToken).GetAwaiter().GetResult();

    /// <summary>The named cluster; without --silo, the local default one, or an in-process silo when none runs.</summary>
    private static async Task<ChatConnection> Connect(ClusterAddress address, TextWriter stderr, CancellationToken cancellationToken)
    {
        try
        {
            return await ChatConnection.OpenAsync(address, cancellationToken);
        }
        catch (ClusterUnavailableException) when (!address.Named)
        {
            stderr.WriteLine($"No silo at {address.Description}: starting one in this process.");
            var connection = await ChatConnection.StartInProcessAsync(address, cancellationToken);
            stderr.WriteLine($"In-process silo started; conversations are kept in {Where(connection.Storage!)}.");
            return connection;
        }
    }

    private static string Where(SiloStorageOptions storage) =>
        storage.Provider == StorageProviders.Sqlite ? Path.GetFullPath(storage.DataSource) : $"{storage.Provider} (Storage:Provider)";

    private static async Task<int> RunAsync(IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken)
    {
        var line = new CommandLine(args, ["conversation", "system", "model", "temperature", "max-tokens", "message", .. ClusterAddress.OptionNames], ["history", "json"]);
        var given = line.Get("conversation");
        var conversationId = given ?? LlamaOrleansClient.NewConversationId();
        var address = ClusterAddress.From(line);
        var message = line.Get("message");
        var model = line.Get("model");
        var temperature = line.Float("temperature");
        var maxTokens = line.Int("max-tokens", min: 1);
        Validate(line, conversationId, message, model, temperature);

        return await ClusterCommand.RunAsync(address, stderr, async () =>
        {
            await using var connection = await Connect(address, stderr, cancellationToken);
            var conversation = connection.Client.Conversation(conversationId);
            try
            {
                if (line.Has("history"))
                {
                    var history = await conversation.HistoryAsync(cancellationToken);
                    if (line.Has("json"))
                    {
                        ChatOutput.WriteHistoryJson(history, stdout);
                    }
                    else
                    {
                        ChatOutput.WriteHistory(history, stdout);
                    }

                    return 0;
                }

                var system = line.Get("system");
                await conversation.UpdateSettingsAsync(s => s with
                {
                    Model = model ?? s.Model,
                    SystemPrompt = system ?? s.SystemPrompt,
                    Temperature = temperature ?? s.Temperature,
                    MaxReplyTokens = maxTokens ?? s.MaxReplyTokens,
                }, cancellationToken);

                if (message is null)
                {
                    return await new ChatRepl(conversation, stdin, stdout, stderr).RunAsync(cancellationToken);
                }

                if (given is null)
                {
                    stderr.WriteLine($"conversation {conversationId}");
                }

                if (line.Has("json"))
                {
                    var turn = await conversation.SendAsync(message, cancellationToken: cancellationToken);
                    ChatOutput.WriteTurnJson(conversationId, turn, await conversation.StatusAsync(cancellationToken), stdout);
                }
                else
                {
                    var turn = await ChatOutput.StreamReplyAsync(conversation, message, stdout, cancellationToken);
                    stderr.WriteLine(ChatOutput.ContextLine(await conversation.StatusAsync(cancellationToken), turn));
                }

                return 0;
            }
            catch (ConversationException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
    }

    private static void Validate(CommandLine line, string conversationId, string? message, string? model, float? temperature)
    {
        if (string.IsNullOrWhiteSpace(conversationId) || conversationId.Any(char.IsControl))
        {
            throw new UsageException("--conversation must be a non-empty id");
        }

        if (message is not null && string.IsNullOrWhiteSpace(message))
        {
            throw new UsageException("--message is empty");
        }

        if (model is not null && string.IsNullOrWhiteSpace(model))
        {
            throw new UsageException("--model is empty");
        }

        if (SamplingRules.Temperature(temperature) is not null)
        {
            throw new UsageException("--temperature must be 0 (greedy) or positive");
        }

        if (line.Has("history"))
        {
            if (message is not null)
            {
                throw new UsageException("--history and --message do not go together");
            }

            if (!line.Has("conversation"))
            {
                throw new UsageException("--history needs --conversation ID");
            }

            if (line.Has("system") || model is not null || temperature is not null || line.Has("max-tokens"))
            {
                throw new UsageException("--history only reads: it takes no --system, --model, --temperature or --max-tokens");
            }
        }
        else if (line.Has("json") && message is null)
        {
            throw new UsageException("--json goes with --message or --history");
        }
    }
}
