using System.Collections.Concurrent;
using System.Text.Json;

namespace Llama.Tests;

/// <summary>Reads the reference vectors under test/data/reference, each file parsed once.</summary>
internal static class ReferenceJson
{
    private static readonly ConcurrentDictionary<string, JsonElement> Files = new();

    public static JsonElement Load(string name) =>
        Files.GetOrAdd(name, n => JsonDocument.Parse(File.ReadAllText(TestData.Path("reference/" + n))).RootElement);

    /// <summary>The i-th element of the array property <paramref name="array"/> of a reference file.</summary>
    public static JsonElement Case(string name, string array, int index) => Load(name).GetProperty(array)[index];

    /// <summary>Case indices of an array property, as theory data.</summary>
    public static TheoryData<int> Indices(string name, string array) => [.. Enumerable.Range(0, Load(name).GetProperty(array).GetArrayLength())];

    public static int[] Ids(this JsonElement element) => [.. element.EnumerateArray().Select(e => e.GetInt32())];

    public static string Text(this JsonElement element, string property) => element.GetProperty(property).GetString()!;
}
