using System.Globalization;

namespace Llama.Bench;

/// <summary>Builds our CLI in Release and runs its <c>generate</c> command as a separate process.</summary>
internal sealed class EngineCli(string repoRoot)
{
    private string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    private string Assembly => Path.Combine(repoRoot, "src", "Cli", "bin", "Release", "net10.0", "llama-orleans.dll");

    public async Task BuildAsync(CancellationToken cancellationToken)
    {
        Progress.Report("llama-orleans: dotnet build -c Release src/Cli");
        var result = await ProcessRunner.RunAsync(
            Dotnet, ["build", "-c", "Release", Path.Combine("src", "Cli", "Cli.csproj"), "--nologo", "-v", "quiet"],
            repoRoot, null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            // dotnet build reports compile errors on stdout, each once per line and again in its summary.
            var output = result.Stdout + result.Stderr;
            var firstError = output.Split('\n', StringSplitOptions.TrimEntries)
                .FirstOrDefault(line => line.Contains(": error ", StringComparison.Ordinal));
            throw new BenchException($"dotnet build of src/Cli failed (exit {result.ExitCode}): {firstError ?? OutputTail.Of(output)}");
        }

        if (!File.Exists(Assembly))
        {
            throw new BenchException($"dotnet build of src/Cli produced no {Assembly}.");
        }
    }

    public async Task<EngineCliOutput> GenerateAsync(
        string model, string tokenizer, string prompt, int maxTokens, int threads, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            Assembly, "generate", "--model", model, "--tokenizer", tokenizer, "--prompt", prompt, "--temperature", "0",
            "--max-tokens", maxTokens.ToString(CultureInfo.InvariantCulture),
            "--threads", threads.ToString(CultureInfo.InvariantCulture), "--device", "cpu",
        ];
        var result = await ProcessRunner.RunAsync(Dotnet, arguments, repoRoot, null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new BenchException($"llama-orleans generate failed on {model} (exit {result.ExitCode}): {OutputTail.Of(result.Stderr)}");
        }

        return EngineCliOutput.Parse(result.Stderr);
    }
}
