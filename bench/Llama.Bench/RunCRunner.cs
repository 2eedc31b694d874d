using System.Globalization;

namespace Llama.Bench;

/// <summary>Runs the compiled run.c greedily on one model and reads its decode rate.</summary>
internal sealed class RunCRunner(string binary)
{
    /// <param name="steps">run.c's <c>-n</c>: positions to run, prompt included.</param>
    public async Task<double> TokensPerSecondAsync(
        string model, string tokenizer, string prompt, int steps, int threads, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            model, "-z", tokenizer, "-t", "0", "-n", steps.ToString(CultureInfo.InvariantCulture), "-i", prompt,
        ];
        var environment = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture) };
        var result = await ProcessRunner.RunAsync(binary, arguments, Path.GetDirectoryName(binary)!, environment, cancellationToken)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new BenchException($"run.c failed on {model} (exit {result.ExitCode}): {OutputTail.Of(result.Stderr)}");
        }

        return RunCOutput.ParseTokensPerSecond(result.Stderr);
    }
}
