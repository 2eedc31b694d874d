using k8s.Models;

namespace LlamaOrleans.Charts.Tests;

/// <summary>Reading a silo container's configuration out of a rendered pod template.</summary>
internal static class PodSpecs
{
    public static V1Container Silo(this V1StatefulSet set) =>
        Assert.Single(set.Spec.Template.Spec.Containers, c => c.Name == "silo");

    public static V1EnvVar Env(this V1Container container, string name) =>
        Assert.Single(container.Env, e => e.Name == name);

    /// <summary>The literal value of an environment variable (one that is not taken from elsewhere).</summary>
    public static string EnvValue(this V1Container container, string name)
    {
        var variable = container.Env(name);
        Assert.Null(variable.ValueFrom);
        return variable.Value;
    }

    public static bool HasEnv(this V1Container container, string name) => container.Env.Any(e => e.Name == name);

    /// <summary>The values of an indexed configuration list (<c>NAME__0</c>, <c>NAME__1</c>, …), in order.</summary>
    public static IReadOnlyList<string> EnvList(this V1Container container, string prefix) =>
        Enumerable.Range(0, int.MaxValue)
            .Select(i => $"{prefix}__{i}")
            .TakeWhile(container.HasEnv)
            .Select(container.EnvValue)
            .ToList();
}
