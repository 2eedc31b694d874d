using LlamaOrleans;
using LlamaOrleans.Client;

namespace Llama.Cli;

/// <summary>
/// The interactive side of <c>llama-orleans chat</c>: reads lines, streams each reply, and runs slash commands.
/// A refused turn is reported and the session goes on; end of input or /quit ends it.
/// </summary>
internal sealed class ChatRepl(LlamaConversation conversation, TextReader input, TextWriter output, TextWriter error)
{
    public const string Help =
        "Type a message and press Enter. Commands:\n" +
        "  /history  the whole transcript\n" +
        "  /reset    forget the dialog (settings stay)\n" +
        "  /state    settings, context use and KV cache\n" +
        "  /help     this text\n" +
        "  /quit     leave (end of input does too)";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        output.WriteLine($"conversation {conversation.Id} (resume with --conversation {conversation.Id}); /help lists commands");
        while (true)
        {
            output.Write("> ");
            output.Flush();

            // Console input blocks whole reads; reading on the pool lets Ctrl+C end the wait.
            var line = await Task.Run(input.ReadLine, cancellationToken).WaitAsync(cancellationToken);
            if (line is null)
            {
                output.WriteLine();
                return 0;
            }

            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (line.StartsWith('/'))
                {
                    if (!await CommandAsync(line, cancellationToken))
                    {
                        return 0;
                    }
                }
                else
                {
                    var turn = await ChatOutput.StreamReplyAsync(conversation, line, output, cancellationToken);
                    output.WriteLine(ChatOutput.ContextLine(await conversation.StatusAsync(cancellationToken), turn));
                }
            }
            catch (ConversationException e)
            {
                error.WriteLine($"error: {e.Message}");
            }
        }
    }

    /// <summary>Runs one slash command; false when it ends the session.</summary>
    private async Task<bool> CommandAsync(string line, CancellationToken cancellationToken)
    {
        switch (line)
        {
            case "/quit":
                return false;
            case "/help":
                output.WriteLine(Help);
                break;
            case "/history":
                ChatOutput.WriteHistory(await conversation.HistoryAsync(cancellationToken), output);
                break;
            case "/reset":
                await conversation.ResetAsync(cancellationToken);
                output.WriteLine("conversation reset: the dialog is forgotten, the settings stay");
                break;
            case "/state":
                ChatOutput.WriteState(await conversation.StatusAsync(cancellationToken), output);
                break;
            default:
                error.WriteLine($"unknown command {line.Split(' ')[0]}; /help lists the commands");
                break;
        }

        return true;
    }
}
