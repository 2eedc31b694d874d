using Llama.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

return CliApp.Run(args, Console.In, Console.Out, Console.Error, cancel.Token);
