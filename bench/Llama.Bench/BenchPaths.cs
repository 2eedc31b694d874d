using LlamaOrleans.Testing;

namespace Llama.Bench;

/// <summary>Where the bench finds its inputs and keeps its cache, all relative to the repository root.</summary>
internal sealed class BenchPaths
{
    private BenchPaths(string repoRoot, string runC)
    {
        RepoRoot = repoRoot;
        RunC = runC;
    }

    public string RepoRoot { get; }

    /// <summary>llama2.c's run.c; never copied into the repository, only compiled into the cache.</summary>
    public string RunC { get; }

    /// <summary>The 32,000-token Llama 2 tokenizer in run.c's format, shipped beside run.c.</summary>
    public string RunCLlama2Tokenizer => Path.Combine(Path.GetDirectoryName(RunC)!, "tokenizer.bin");

    /// <summary>Gitignored folder for the compiled baseline and the generated model.</summary>
    public string Cache => Path.Combine(RepoRoot, ".bench");

    /// <param name="runCOverride">The <c>--runc</c> path, or null for the shared baseline beside the repository.</param>
    public static BenchPaths Locate(string? runCOverride)
    {
        var root = FindRepoRoot();
        var runC = Path.GetFullPath(runCOverride ?? Path.Combine(root, "..", "shared", "baselines", "llama2.c", "run.c"));
        return new BenchPaths(root, runC);
    }

    private static string FindRepoRoot()
    {
        // The bench runs from its build output; the solution file above it marks the root.
        try
        {
            return Repository.Root;
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new BenchException($"Cannot find the repository root: {ex.Message}");
        }
    }
}
