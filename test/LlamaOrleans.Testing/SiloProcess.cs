using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace LlamaOrleans.Testing;

/// <summary>
/// A <c>llama-orleans-silo</c> started as a separate process, as an operator runs it: configured by command-line
/// keys, stopped gracefully with SIGTERM or killed with SIGKILL. Tests use it for what an in-process cluster cannot
/// show, such as a silo dying with its process.
/// </summary>
public sealed partial class SiloProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const string HttpSection = "Http:";
    private static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromMinutes(2);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputLock = new();

    private SiloProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>What the process has written to stdout and stderr so far, for assertions and failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The built silo's entry assembly, from the same configuration (Debug or Release) as the calling tests.</summary>
    public static string SiloAssemblyPath => Repository.BuiltProgram("Silo", "llama-orleans-silo.dll");

    /// <summary>
    /// Starts a silo with <paramref name="settings"/> as <c>--Key=Value</c> arguments, in <paramref name="workingDirectory"/>
    /// (where relative data paths land), and waits until it has logged that it is up and its gateway port accepts
    /// connections. Unless <paramref name="settings"/> name an <c>Http:</c> key, the silo serves no HTTP API, so that
    /// silos started side by side do not contend for its default port.
    /// </summary>
    /// <exception cref="InvalidOperationException">The process exited or did not become ready in time; the message has its output.</exception>
    public static async Task<SiloProcess> StartAsync(
        string name,
        string workingDirectory,
        IReadOnlyDictionary<string, string> settings,
        int gatewayPort,
        TimeSpan? readyTimeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(settings);
        Directory.CreateDirectory(workingDirectory);

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(SiloAssemblyPath);
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        if (!settings.Keys.Any(k => k.StartsWith(HttpSection, StringComparison.OrdinalIgnoreCase)))
        {
            start.ArgumentList.Add($"--{HttpSection}Enabled=false");
        }

        // Plain console lines, one per entry, so tests can wait for a message.
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(name, process);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await silo.WaitUntilReadyAsync(gatewayPort, readyTimeout ?? DefaultReadyTimeout, cancellationToken);
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }

        return silo;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Silo {Name} exited ({_process.ExitCode}) before writing '{text}':\n{Output}");
            }

            try
            {
                await Task.Delay(100, timeoutSource.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException($"Silo {Name} did not write '{text}' within {timeout}:\n{Output}");
            }
        }
    }

    /// <summary>
    /// Waits until the silo's HTTP API at <paramref name="baseAddress"/> answers <c>/readyz</c> with 200: the silo is
    /// active and its hosted models are loaded. The web server starts after the silo, so "Silo up" comes first.
    /// </summary>
    /// <exception cref="InvalidOperationException">The process exited or was not ready in time; the message has its output.</exception>
    public async Task WaitUntilHttpReadyAsync(Uri baseAddress, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Silo {Name} exited ({_process.ExitCode}) before its HTTP API was ready:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Listening, but a loaded machine did not answer this probe within its own timeout.
            }

            if (deadline.Elapsed > timeout)
            {
                throw new InvalidOperationException($"Silo {Name}'s HTTP API at {baseAddress} was not ready within {timeout}:\n{Output}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>
    /// Kills the process at once (SIGKILL), as a crash or an OOM kill would: nothing is flushed or handed over. Returns
    /// once it is gone, so callers never see it still running.
    /// </summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>Asks the process to stop (SIGTERM, as Kubernetes does) and waits for it; kills it after <paramref name="timeout"/>.</summary>
    /// <returns>The exit code, or null when it had to be killed.</returns>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }

        if (Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"SIGTERM to silo {Name} (pid {_process.Id}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        using var timeoutSource = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(timeoutSource.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Kill();
            await _process.WaitForExitAsync();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync(int gatewayPort, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        await WaitForOutputAsync("Silo up:", timeout, cancellationToken);
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", gatewayPort, cancellationToken);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < timeout && !_process.HasExited)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException($"Silo {Name}'s gateway port {gatewayPort} does not accept connections:\n{Output}", ex);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
