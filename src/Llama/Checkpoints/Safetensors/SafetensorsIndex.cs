using System.Text.Json;

namespace Llama.Checkpoints.Safetensors;

/// <summary><c>model.safetensors.index.json</c>: which shard file holds each tensor.</summary>
internal static class SafetensorsIndex
{
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Tensor name → shard file name.</summary>
    public static IReadOnlyDictionary<string, string> ReadWeightMap(string path)
    {
        using var json = JsonConfig.Read(path);
        if (!json.Root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointException($"{path} has no 'weight_map' object.");
        }

        var weights = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in map.EnumerateObject())
        {
            var file = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : null;
            if (string.IsNullOrEmpty(file) || file != System.IO.Path.GetFileName(file))
            {
                throw new CheckpointException($"{path}: weight_map entry '{entry.Name}' names no file in the folder ({entry.Value.GetRawText()}).");
            }

            weights[entry.Name] = file;
        }

        return weights;
    }
}
