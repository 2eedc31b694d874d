namespace LlamaOrleans.Testing;

/// <summary><c>llama-orleans</c>, the built command-line program, run as a separate process as scripts run it.</summary>
public static class CliProcess
{
    /// <summary>The CLI built in the same configuration (Debug or Release) as the calling tests.</summary>
    public static string AssemblyPath => Repository.BuiltProgram("Cli", "llama-orleans.dll");

    /// <summary>Runs <c>llama-orleans</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>, with <paramref name="standardInput"/> as its input.</summary>
    public static Task<ProcessResult> RunAsync(
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        IEnumerable<string> arguments,
        string standardInput = "",
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        ProcessRunner.RunAsync(
            "dotnet",
            [AssemblyPath, .. arguments],
            workingDirectory,
            timeout ?? TimeSpan.FromMinutes(2),
            environment,
            standardInput,
            cancellationToken);
}
