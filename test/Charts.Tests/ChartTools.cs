namespace LlamaOrleans.Charts.Tests;

/// <summary>
/// The helm binary and the Kubernetes schema validators that build/setup-helm.sh caches outside the repository
/// (<c>$LLAMA_TOOLS_DIR</c>, default <c>~/.cache/llama-orleans/tools</c>). A missing tool fails the test that needs it:
/// the chart must never pass CI unchecked.
/// </summary>
internal static class ChartTools
{
    public static string Directory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("LLAMA_TOOLS_DIR");
            if (!string.IsNullOrEmpty(configured))
            {
                return configured;
            }

            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache))
            {
                cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            }

            return Path.Combine(cache, "llama-orleans", "tools");
        }
    }

    public static string Helm => Require(Path.Combine(Directory, "bin", "helm"));

    /// <summary>node_modules holding kubernetes-models, @kubernetes-models/prometheus-operator and yaml.</summary>
    public static string ValidatorModules
    {
        get
        {
            var modules = Path.Combine(Directory, "validate", "node_modules");
            Require(Path.Combine(modules, "kubernetes-models"));
            return modules;
        }
    }

    private static string Require(string path)
    {
        return File.Exists(path) || System.IO.Directory.Exists(path)
            ? path
            : throw new FileNotFoundException(
                $"{path} is missing: run build/setup-helm.sh (./build.sh test runs it) to fetch helm and the Kubernetes schema validators.",
                path);
    }
}
