using System.Globalization;

namespace Llama.Checkpoints.Gguf;

/// <summary>Typed reads of a GGUF file's metadata, each failing with a one-line message naming the key.</summary>
internal sealed class GgufMetadata(IReadOnlyDictionary<string, object> values, string file)
{
    public bool Has(string key) => values.ContainsKey(key);

    public string String(string key) => Get(key) as string ?? throw Wrong(key, "a string");

    public int Int(string key, int? fallback = null)
    {
        if (!values.TryGetValue(key, out var value) && fallback is { } f)
        {
            return f;
        }

        return Get(key) is long v && v is >= 0 and <= int.MaxValue ? (int)v : throw Wrong(key, "a non-negative 32-bit integer");
    }

    public double Double(string key, double fallback) =>
        !values.TryGetValue(key, out var value) ? fallback
        : value is double d ? d
        : throw Wrong(key, "a floating-point number");

    public T[]? Array<T>(string key) =>
        !values.TryGetValue(key, out var value) ? null
        : value as T[] ?? throw Wrong(key, $"an array of {typeof(T).Name}");

    private object Get(string key) =>
        values.TryGetValue(key, out var value) ? value : throw new CheckpointException($"{file}: GGUF metadata '{key}' is missing.");

    private CheckpointException Wrong(string key, string expected) =>
        new($"{file}: GGUF metadata '{key}' is {Describe(values[key])}, not {expected}.");

    private static string Describe(object value) => value switch
    {
        string s => $"the string \"{(s.Length > 40 ? s[..40] + "…" : s)}\"",
        System.Array a => $"an array of {a.Length}",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
