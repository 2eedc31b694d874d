namespace LlamaOrleans.Charts.Tests;

/// <summary>Paths in the repository the tests run from.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string Chart => Path.Combine(Root, "charts", "llama-orleans");

    public static string ChartExample(string fileName) => Path.Combine(Chart, "examples", fileName);

    public static string Docker(string fileName) => Path.Combine(Root, "docker", fileName);

    /// <summary>The script that validates manifests against the Kubernetes schemas, beside these tests' sources.</summary>
    public static string ManifestValidator => Path.Combine(Root, "test", "Charts.Tests", "validate-manifests.mjs");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Llama.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Llama.Orleans.sln above {AppContext.BaseDirectory}.");
    }
}
