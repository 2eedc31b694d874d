using Llama.Chat;
using Llama.Checkpoints;
using Llama.Tokenization;

namespace Llama.Cli;

/// <summary>
/// The command dispatcher: runs one command, and turns every expected failure into one clear line on
/// stderr: exit code 2 when the command cannot start (a bad command line, or model files that are not a valid
/// checkpoint), 1 when it fails on its input or while running.
/// </summary>
public static class CliApp
{
    private const string Help =
        "llama-orleans: Llama 2 inference.\n\nCommands:\n  " + GenerateCommand.Usage + "\n  " + TokenizeCommand.Usage + "\n  " +
        InspectCommand.Usage + "\n  " + ChatCommand.Usage + "\n  " + ModelsCommand.Usage + "\n";

    /// <summary>Runs a command that needs no standard input (an interactive chat sees it as already ended).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken) =>
        Run(args, TextReader.Null, stdout, stderr, cancellationToken);

    public static int Run(IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Count == 0 ? stderr : stdout).Write(Help);
            return args.Count == 0 ? 2 : 0;
        }

        var rest = args.Skip(1).ToArray();
        try
        {
            return args[0] switch
            {
                "generate" => GenerateCommand.Run(rest, stdout, stderr, cancellationToken),
                "tokenize" => TokenizeCommand.Run(rest, stdout, stderr),
                "inspect" => InspectCommand.Run(rest, stdout),
                "chat" => ChatCommand.Run(rest, stdin, stdout, stderr, cancellationToken),
                "models" => ModelsCommand.Run(rest, stdout, stderr, cancellationToken),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {e.Message} (see llama-orleans --help)");
            return 2;
        }
        catch (CheckpointException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is ArgumentException or TokenizerException or ChatFormatException
                                      or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
