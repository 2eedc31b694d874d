namespace LlamaOrleans.Charts.Tests;

/// <summary>The helm commands the tests run on charts/llama-orleans.</summary>
internal static class Helm
{
    public const string ReleaseName = "llm";
    public const string Namespace = "ai";

    /// <summary><c>helm lint --strict</c>: warnings fail too.</summary>
    public static Task<ProcessResult> LintAsync(IEnumerable<string> valuesFiles) =>
        ProcessRunner.RunAsync(ChartTools.Helm, ["lint", "--strict", RepositoryPaths.Chart, .. ValuesArguments(valuesFiles, [])]);

    /// <summary><c>helm template</c> for release <see cref="ReleaseName"/> in namespace <see cref="Namespace"/>.</summary>
    public static Task<ProcessResult> TemplateAsync(IEnumerable<string> valuesFiles, IEnumerable<string> sets) =>
        ProcessRunner.RunAsync(
            ChartTools.Helm,
            ["template", ReleaseName, RepositoryPaths.Chart, "--namespace", Namespace, .. ValuesArguments(valuesFiles, sets)]);

    private static IEnumerable<string> ValuesArguments(IEnumerable<string> valuesFiles, IEnumerable<string> sets) =>
        valuesFiles.SelectMany(f => new[] { "--values", f }).Concat(sets.SelectMany(s => new[] { "--set", s }));
}
