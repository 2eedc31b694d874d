using System.Diagnostics;

namespace Llama.Bench.Tests.Device;

/// <summary>
/// build/cuda-bundle.sh and build/cuda-device-check.sh end to end on the CPU, as the GPU host runs them: the bundle
/// carries every shared framework the CLI needs (ASP.NET Core's too), and with CHECK_DEVICES=cpu the check passes its
/// smoke test, the float32 greedy reference, the device bench on a small shape and llama-orleans-silo serving that shape's
/// random model over HTTP. A GPU run then fails only on the GPU.
/// </summary>
public class CudaDeviceCheckScriptTests
{
    [Fact]
    public async Task The_bundle_passes_the_device_check_on_the_cpu()
    {
        var root = Repository.Root;
        var work = Directory.CreateTempSubdirectory("llama-device-check-");
        try
        {
            var bundle = Path.Combine(work.FullName, "bundle.tar.xz");
            var (bundled, bundleLog) = await RunAsync(root, "build/cuda-bundle.sh", new() { ["BUNDLE"] = bundle, ["BUNDLE_XZ"] = "0" });
            Assert.True(bundled == 0, bundleLog);
            Assert.Contains("Microsoft.AspNetCore.App", bundleLog, StringComparison.Ordinal);

            var output = Path.Combine(work.FullName, "out");
            var (checkedCode, checkLog) = await RunAsync(root, $"build/cuda-device-check.sh {bundle}", new()
            {
                ["CHECK_DEVICES"] = "cpu",
                ["CHECK_QUICK"] = "1",
                ["CHECK_WORK"] = Path.Combine(work.FullName, "unpacked"),
                ["OUT"] = output,
            });

            Assert.True(checkedCode == 0, checkLog);
            Assert.Contains("RESULT ok   greedy cpu/float32 equals greedy.json", checkLog, StringComparison.Ordinal);
            Assert.Contains("RESULT ok   device bench ran", checkLog, StringComparison.Ordinal);
            Assert.Contains("ok   stories260K.bin float32 greedy, 4 batched streams equal alone", checkLog, StringComparison.Ordinal);
            Assert.Equal(checkLog.TrimEnd(), File.ReadAllText(Path.Combine(output, "cuda-check.log")).TrimEnd());
            var figures = File.ReadAllLines(Path.Combine(output, "device-bench.tsv"));
            Assert.Contains(figures, f => f.Contains("small 1-stream decode, context 160, eager", StringComparison.Ordinal));

            // The silo step: llama-orleans-silo from the bundle serving the small random shape, conversations over HTTP.
            Assert.Contains("RESULT ok   silo served the conversations", checkLog, StringComparison.Ordinal);
            var silo = File.ReadAllLines(Path.Combine(output, "silo-http.tsv"));
            Assert.Contains(silo, f => f.StartsWith("info\tsilo HTTP 4-conversation aggregate decode\t", StringComparison.Ordinal));
            Assert.Contains(silo, f => f.StartsWith("info\tsilo HTTP against the engine alone\t", StringComparison.Ordinal)
                && f.Contains("small 4-stream aggregate decode, context 32, eager", StringComparison.Ordinal));
            Assert.Contains("random weights, shape explicit, seed 20", File.ReadAllText(Path.Combine(output, "silo.log")), StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<(int Code, string Log)> RunAsync(string root, string command, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", ["-c", command + " 2>&1"])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        var log = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, log);
    }
}
