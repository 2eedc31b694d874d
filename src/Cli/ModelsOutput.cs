using System.Text.Json;
using System.Text.Json.Serialization;
using LlamaOrleans;

namespace Llama.Cli;

/// <summary>The models command's table (one row per hosting silo or per rank) or JSON.</summary>
internal static class ModelsOutput
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Write(IReadOnlyList<ModelStatus> models, TextWriter output)
    {
        if (models.Count == 0)
        {
            output.WriteLine("No model is registered: no silo hosting one has joined the cluster.");
            return;
        }

        var rows = new List<string[]> { new[] { "MODEL", "PARALLEL", "RANK", "SILO", "STATE" } };
        foreach (var model in models)
        {
            var parallel = model.Parallel.ToString().ToLowerInvariant();
            if (model.Parallel == ModelParallelism.None)
            {
                rows.AddRange(model.Hosts.Select(h => new[] { model.Model, parallel, "-", h, "hosted" }));
                continue;
            }

            rows.AddRange(model.Shards.Select(s => new[]
            {
                model.Model, parallel, s.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Silo ?? "-",
                s.State is { } state ? state.ToString().ToLowerInvariant() : "unplaced",
            }));
        }

        var widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))));
        }

        output.WriteLine();
        foreach (var model in models)
        {
            output.WriteLine(model.Ready ? $"{model.Model}: ready" : $"{model.Model}: not ready: {model.Problem}");
        }
    }

    public static void WriteJson(IReadOnlyList<ModelStatus> models, TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(models, Json));
}
