namespace LlamaOrleans;

/// <summary>The key of a model worker: the model's name and the silo that hosts it.</summary>
public static class ModelWorkerKey
{
    private const char Separator = '@';

    public static string For(string model, string silo) => $"{model}{Separator}{silo}";

    public static (string Model, string Silo) Parse(string key)
    {
        var at = key.IndexOf(Separator, StringComparison.Ordinal);
        if (at <= 0 || at == key.Length - 1)
        {
            throw new ArgumentException($"'{key}' is not a model worker key (model@silo).", nameof(key));
        }

        return (key[..at], key[(at + 1)..]);
    }
}
