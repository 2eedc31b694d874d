using System.Text.Json;

namespace Llama.Checkpoints;

/// <summary>Typed reads of a checkpoint's JSON configuration (params.json, config.json), with clear errors.</summary>
internal sealed class JsonConfig : IDisposable
{
    private readonly JsonDocument _document;

    private JsonConfig(string path, JsonDocument document)
    {
        Path = path;
        _document = document;
    }

    public string Path { get; }

    public string Name => System.IO.Path.GetFileName(Path);

    public JsonElement Root => _document.RootElement;

    public static JsonConfig Read(string path)
    {
        try
        {
            var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new CheckpointException($"{path} does not hold a JSON object.");
            }

            return new JsonConfig(path, document);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path} is not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new CheckpointException($"Cannot read {path}: {e.Message}", e);
        }
    }

    public int RequiredInt(string field) => OptionalInt(field) ?? throw Missing(field);

    public double RequiredDouble(string field) => OptionalDouble(field) ?? throw Missing(field);

    public int? OptionalInt(string field)
    {
        if (Value(field) is not { } value)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw Wrong(field, "an integer", value);
    }

    public double? OptionalDouble(string field)
    {
        if (Value(field) is not { } value)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Wrong(field, "a number", value);
    }

    public bool? OptionalBool(string field)
    {
        if (Value(field) is not { } value)
        {
            return null;
        }

        return value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : throw Wrong(field, "true or false", value);
    }

    public void Dispose() => _document.Dispose();

    /// <summary>A field's value; absent and null are the same (Meta writes "n_kv_heads": null).</summary>
    private JsonElement? Value(string field) =>
        Root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private CheckpointException Missing(string field) => new($"{Path} lacks the field '{field}'.");

    private CheckpointException Wrong(string field, string expected, JsonElement value) =>
        new($"{Path}: '{field}' should be {expected}, not {value.GetRawText()}.");
}
