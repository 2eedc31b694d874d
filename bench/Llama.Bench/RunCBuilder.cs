namespace Llama.Bench;

/// <summary>Compiles llama2.c's run.c with OpenMP into the bench cache, reusing an up-to-date binary.</summary>
internal static class RunCBuilder
{
    private const string BinaryName = "runomp";

    // llama2.c's own recommended build for multi-threaded CPU runs.
    private static readonly string[] CompilerFlags = ["-Ofast", "-fopenmp", "-march=native"];

    /// <returns>The path of the compiled binary.</returns>
    public static async Task<string> EnsureBuiltAsync(string runC, string cacheDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(runC))
        {
            throw new BenchException($"run.c not found at {runC}; pass --runc PATH to llama2.c's run.c.");
        }

        string[] arguments = [.. CompilerFlags, "-o", BinaryName, runC, "-lm"];
        var command = "gcc " + string.Join(' ', arguments);
        var binary = Path.Combine(cacheDirectory, BinaryName);
        var stamp = binary + ".cmd";
        if (File.Exists(binary) && File.Exists(stamp)
            && File.GetLastWriteTimeUtc(binary) > File.GetLastWriteTimeUtc(runC)
            && await File.ReadAllTextAsync(stamp, cancellationToken).ConfigureAwait(false) == command)
        {
            Progress.Report($"run.c: reusing {binary}");
            return binary;
        }

        Progress.Report($"run.c: compiling ({command})");
        File.Delete(stamp);
        var result = await ProcessRunner.RunAsync("gcc", arguments, cacheDirectory, null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new BenchException($"gcc failed to compile run.c (exit {result.ExitCode}): {OutputTail.Of(result.Stderr)}");
        }

        await File.WriteAllTextAsync(stamp, command, cancellationToken).ConfigureAwait(false);
        return binary;
    }
}
