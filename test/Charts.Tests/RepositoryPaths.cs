namespace LlamaOrleans.Charts.Tests;

/// <summary>Paths in the repository the tests run from.</summary>
internal static class RepositoryPaths
{
    public static string Root => Repository.Root;

    public static string Chart => Path.Combine(Root, "charts", "llama-orleans");

    public static string ChartExample(string fileName) => Path.Combine(Chart, "examples", fileName);

    public static string Docker(string fileName) => Path.Combine(Root, "docker", fileName);

    /// <summary>The script that validates manifests against the Kubernetes schemas, beside these tests' sources.</summary>
    public static string ManifestValidator => Path.Combine(Root, "test", "Charts.Tests", "validate-manifests.mjs");
}
