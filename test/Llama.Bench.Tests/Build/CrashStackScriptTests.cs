using System.Diagnostics;

namespace Llama.Bench.Tests.Build;

/// <summary>
/// build/crash-stack.sh, which build.sh runs on each crash report of a test process that died of a native fault, so the
/// faulting thread's frames reach the test log. The report is one .NET 10 wrote (DOTNET_EnableCrashReport=1) for
/// Llama.Bench.Peer sent SIGSEGV during a forward step, cut to two threads: one that did not fault, then the one that did.
/// </summary>
public class CrashStackScriptTests
{
    private static readonly string Report = Path.Combine(Repository.Root, "test/Llama.Bench.Tests/Build/sigsegv.crashreport.json");

    [Fact]
    public async Task It_prints_the_faulting_threads_frames_innermost_first_and_no_other_threads()
    {
        var (code, output, _) = await RunAsync(Report);

        Assert.Equal(0, code);
        var frames = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(20, frames.Length);
        Assert.All(frames, f => Assert.StartsWith("    at ", f, StringComparison.Ordinal));
        Assert.Equal("    at libc.so.6 wait4", frames[0]);
        // A native frame without a symbol is its module and offset.
        Assert.Equal("    at libcoreclr.so +0x63a1e1", frames[1]);
        Assert.Equal("    at Llama.dll Llama.Kernels.StepArrays.Rent(Int32)", frames[13]);
        Assert.Equal(
            "    at Llama.dll Llama.Kernels.CpuForward.Forward(System.Collections.Generic.IReadOnlyList`1<Llama.Model.SequenceInput>, Boolean)",
            frames[14]);
        // The thread that did not fault sat in poll().
        Assert.DoesNotContain(frames, f => f.EndsWith(" poll", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_report_without_a_faulting_thread_prints_nothing()
    {
        var path = Path.GetTempFileName();
        try
        {
            var cancel = TestContext.Current.CancellationToken;
            var report = await File.ReadAllTextAsync(Report, cancel);
            await File.WriteAllTextAsync(path, report.Replace("\"crashed\": \"true\"", "\"crashed\": \"false\"", StringComparison.Ordinal), cancel);
            var (code, output, error) = await RunAsync(path);
            Assert.Equal(0, code);
            Assert.Equal(string.Empty, output + error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_missing_report_is_one_line_of_error()
    {
        var (code, output, error) = await RunAsync("/nonexistent/llama.crashreport.json");
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, output);
        Assert.Equal("error: cannot read the crash report /nonexistent/llama.crashreport.json", error.TrimEnd());
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string report)
    {
        var start = new ProcessStartInfo("bash", ["build/crash-stack.sh", report])
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
