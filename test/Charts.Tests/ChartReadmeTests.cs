using System.Text.Json;

namespace LlamaOrleans.Charts.Tests;

/// <summary>The chart's README lists every value the schema accepts, so no setting goes undocumented.</summary>
public sealed class ChartReadmeTests
{
    [Fact]
    public void The_README_lists_every_value()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Chart, "values.schema.json")));
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Chart, "README.md"));

        var keys = ValueKeys(schema.RootElement, "").ToList();

        Assert.True(keys.Count > 100, $"only {keys.Count} keys read from the schema");
        var missing = keys.Where(k => !readme.Contains($"| `{k}` |", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"README.md lacks: {string.Join(", ", missing)}");
    }

    /// <summary>
    /// The keys a values file can set, as the README writes them: <c>a.b</c>, list items as <c>a[].b</c>, map entries
    /// as <c>a.&lt;tenant&gt;.b</c>; free-form objects and plain lists are one key.
    /// </summary>
    private static IEnumerable<string> ValueKeys(JsonElement node, string path)
    {
        if (node.TryGetProperty("properties", out var properties))
        {
            return properties.EnumerateObject().SelectMany(p => ValueKeys(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}"));
        }

        if (node.TryGetProperty("additionalProperties", out var entry) && entry.ValueKind == JsonValueKind.Object
            && entry.TryGetProperty("properties", out _))
        {
            return ValueKeys(entry, $"{path}.<tenant>");
        }

        if (node.TryGetProperty("items", out var items) && items.TryGetProperty("properties", out _))
        {
            return ValueKeys(items, $"{path}[]").Prepend(path);
        }

        return [path];
    }
}
