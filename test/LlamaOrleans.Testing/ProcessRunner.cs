using System.Diagnostics;

namespace LlamaOrleans.Testing;

/// <summary>Runs a program to completion, capturing its output; kills it when the time limit passes.</summary>
public static class ProcessRunner
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/> (the
    /// repository root unless given), feeding it <paramref name="standardInput"/> and then end of input.
    /// </summary>
    /// <exception cref="TimeoutException">It did not finish within <paramref name="timeout"/> (one minute unless given); it was killed.</exception>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string standardInput = "",
        CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repository.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardInput.WriteAsync(standardInput);
        process.StandardInput.Close();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish in time.");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a tool as <see cref="RunAsync"/> does and returns what it wrote to stdout and stderr.</summary>
    /// <exception cref="InvalidOperationException">It exited with a code other than 0; the message has its output.</exception>
    public static async Task<string> RunCheckedAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var list = arguments.ToList();
        var result = await RunAsync(fileName, list, timeout: timeout);
        return result.ExitCode == 0
            ? result.StandardOutput + result.StandardError
            : throw new InvalidOperationException($"{fileName} {string.Join(' ', list)} failed: {result.Describe()}");
    }

    /// <summary>Whether this process runs as root (which some servers, such as PostgreSQL, refuse to run as).</summary>
    public static bool IsRoot => Environment.UserName == "root";
}
