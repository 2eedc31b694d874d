using Llama.Chat;
using Llama.Checkpoints;
using Llama.Cli;
using Llama.Tokenization;

const string Help =
    "llama-orleans: Llama 2 inference.\n\nCommands:\n  " + GenerateCommand.Usage + "\n  " + TokenizeCommand.Usage + "\n";

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Write(Help);
    return args.Length == 0 ? 2 : 0;
}

try
{
    return args[0] switch
    {
        "generate" => GenerateCommand.Run(args[1..], cancel.Token),
        "tokenize" => TokenizeCommand.Run(args[1..]),
        _ => throw new UsageException($"unknown command '{args[0]}'"),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message} (see llama-orleans --help)");
    return 2;
}
catch (Exception e) when (e is ArgumentException or CheckpointException or TokenizerException or ChatFormatException
                              or IOException or UnauthorizedAccessException or OperationCanceledException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
