using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace LlamaOrleans.Charts.Tests;

/// <summary>
/// The chart rendered by <c>helm template</c>, checked against the Kubernetes schemas and loaded strictly into the
/// Kubernetes API types (an unknown field fails the load), for assertions on what a cluster would receive.
/// </summary>
internal sealed class RenderedChart
{
    private static readonly Dictionary<string, Type> ExtraKinds = new()
    {
        ["monitoring.coreos.com/v1/ServiceMonitor"] = typeof(ServiceMonitor),
    };

    private static readonly ConcurrentDictionary<string, Lazy<Task<RenderedChart>>> Renders = new();

    private RenderedChart(string yaml, IReadOnlyList<object> objects)
    {
        Yaml = yaml;
        Objects = objects;
    }

    public string Yaml { get; }

    public IReadOnlyList<object> Objects { get; }

    /// <summary>
    /// Renders once per distinct set of values (rendering is deterministic), asserting that helm succeeds and the
    /// manifests pass the Kubernetes schemas.
    /// </summary>
    public static Task<RenderedChart> RenderAsync(IEnumerable<string> valuesFiles, params string[] sets)
    {
        var files = valuesFiles.ToList();
        var key = string.Join('\n', files.Select(f => "-f " + f).Concat(sets.Select(s => "--set " + s)));
        return Renders.GetOrAdd(key, _ => new Lazy<Task<RenderedChart>>(() => RenderUncachedAsync(files, sets))).Value;
    }

    private static async Task<RenderedChart> RenderUncachedAsync(IReadOnlyList<string> valuesFiles, string[] sets)
    {
        var result = await Helm.TemplateAsync(valuesFiles, sets);
        Assert.True(result.ExitCode == 0, $"helm template failed: {result.Describe()}");
        var errors = await ManifestValidator.ValidateAsync(result.StandardOutput);
        Assert.True(errors.Count == 0, $"rendered manifests fail the Kubernetes schemas:\n{string.Join('\n', errors)}");
        return new RenderedChart(result.StandardOutput, LoadStrict(result.StandardOutput));
    }

    /// <summary>Every document as its Kubernetes type; throws on a field the type does not have.</summary>
    public static IReadOnlyList<object> LoadStrict(string yaml) =>
        KubernetesYaml.LoadAllFromString(yaml, ExtraKinds, strict: true);

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>(string name)
        where T : IKubernetesObject<V1ObjectMeta> =>
        Assert.Single(All<T>(), o => o.Metadata.Name == name);

    public V1StatefulSet SiloGroup(string group) =>
        Assert.Single(All<V1StatefulSet>(), s => s.Spec.Template.Metadata.Labels.TryGetValue("llama-orleans/silo-group", out var g) && g == group);

    public static string FullName => $"{Helm.ReleaseName}-llama-orleans";
}
