namespace Llama.Bench;

/// <summary>
/// What every bench program does around its run: <c>--help</c> prints the usage, Ctrl+C cancels the run, a
/// <see cref="BenchException"/> ends it with one <c>bench: …</c> line on stderr and exit code 1, a cancellation with 130.
/// </summary>
public static class BenchMain
{
    /// <param name="run">The bench itself; returns the exit code.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, string usage, Func<CancellationToken, Task<int>> run)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(run);
        if (args.Any(arg => arg is "--help" or "-h"))
        {
            Console.WriteLine(usage);
            return 0;
        }

        using var cancellation = new CancellationTokenSource();
        void Cancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            cancellation.Cancel();
        }

        Console.CancelKeyPress += Cancel;
        try
        {
            return await run(cancellation.Token).ConfigureAwait(false);
        }
        catch (BenchException e)
        {
            await Console.Error.WriteLineAsync($"bench: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("bench: cancelled").ConfigureAwait(false);
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= Cancel;
        }
    }
}
