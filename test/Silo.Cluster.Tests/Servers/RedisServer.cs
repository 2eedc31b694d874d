using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace LlamaOrleans.Cluster.Tests.Servers;

/// <summary>
/// A redis-server of its own on a free loopback port, its data in a temporary folder (append-only file, synced on
/// every write, so a stop and start keeps everything). Installed by build/setup-databases.sh.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llama-redis-").FullName;
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>Fails fast when the server is away, so outages surface in seconds.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},connectTimeout=2000,asyncTimeout=3000,syncTimeout=3000";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(FreePorts.Take(1)[0]);
        await server.StartAsync(TimeSpan.FromSeconds(30));
        return server;
    }

    public async Task StartAsync(TimeSpan timeout)
    {
        var executable = Executable();
        var start = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _folder,
            "--appendonly", "yes", "--appendfsync", "always", "--save", string.Empty, "--daemonize", "no",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < timeout && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Stops the server (SIGTERM: it syncs and exits), as an outage.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            await ProcessRunner.RunCheckedAsync("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static string Executable() =>
        new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("redis-server is not installed: run build/setup-databases.sh (Debian package redis-server).");
}
