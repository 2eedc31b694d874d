namespace LlamaOrleans.Charts.Tests;

/// <summary><c>helm lint --strict</c> passes with the default values and with every example values file.</summary>
public sealed class ChartLintTests
{
    /// <summary>The example values files' names.</summary>
    private static IReadOnlyList<string> Examples =>
        [.. Directory.GetFiles(Path.Combine(RepositoryPaths.Chart, "examples"), "*.yaml").Select(Path.GetFileName).Order()!];

    /// <summary>The default values (empty name) and every example.</summary>
    public static TheoryData<string> ValuesFiles() => ["", .. Examples];

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Lint_is_clean(string example)
    {
        string[] values = example.Length == 0 ? [] : [RepositoryPaths.ChartExample(example)];

        var result = await Helm.LintAsync(values);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", result.StandardOutput);
        Assert.DoesNotContain("[WARNING]", result.StandardOutput);
    }

    [Fact]
    public void Both_documented_examples_exist()
    {
        var examples = Examples;

        Assert.Contains("values-cpu-demo.yaml", examples);
        Assert.Contains("values-70b-8gpu.yaml", examples);
    }

    [Fact]
    public async Task Every_example_renders_manifests_that_pass_the_Kubernetes_schemas()
    {
        foreach (var example in Examples)
        {
            var chart = await RenderedChart.RenderAsync([RepositoryPaths.ChartExample(example)]);

            Assert.NotEmpty(chart.All<k8s.Models.V1StatefulSet>());
        }
    }
}
