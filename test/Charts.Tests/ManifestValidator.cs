using System.Text.Json;

namespace LlamaOrleans.Charts.Tests;

/// <summary>One manifest that failed its Kubernetes schema.</summary>
internal sealed record SchemaError(string Kind, string Name, string Message)
{
    public override string ToString() => $"{Kind}/{Name}: {Message}";
}

/// <summary>
/// Validates manifests offline against the Kubernetes OpenAPI schemas compiled into the npm package
/// kubernetes-models (validate-manifests.mjs). kubectl's own client-side validation downloads the schemas from an
/// API server, which CI has none of.
/// </summary>
internal static class ManifestValidator
{
    public static async Task<IReadOnlyList<SchemaError>> ValidateAsync(string yaml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"llama-orleans-manifests-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, TestContext.Current.CancellationToken);
        try
        {
            var result = await ProcessRunner.RunAsync("node", [RepositoryPaths.ManifestValidator, ChartTools.ValidatorModules, file]);
            if (result.ExitCode is not (0 or 1))
            {
                throw new InvalidOperationException($"validate-manifests.mjs failed: {result.Describe()}");
            }

            using var report = JsonDocument.Parse(result.StandardOutput);
            var errors = report.RootElement.GetProperty("errors").EnumerateArray()
                .Select(e => new SchemaError(
                    e.GetProperty("kind").GetString()!,
                    e.GetProperty("name").GetString()!,
                    e.GetProperty("message").GetString()!))
                .ToList();
            var documents = report.RootElement.GetProperty("documents").GetArrayLength();
            if (documents == 0 && errors.Count == 0)
            {
                throw new InvalidOperationException("validate-manifests.mjs found no manifest to validate.");
            }

            if ((result.ExitCode == 1) != (errors.Count > 0))
            {
                throw new InvalidOperationException($"validate-manifests.mjs exit code disagrees with its report: {result.Describe()}");
            }

            return errors;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
