namespace LlamaOrleans.Tests.Storage;

/// <summary>A small grain state: a text and how often it was written.</summary>
[GenerateSerializer]
public sealed class Note
{
    [Id(0)]
    public string Text { get; set; } = string.Empty;

    [Id(1)]
    public int Writes { get; set; }

    [Id(2)]
    public List<string> History { get; set; } = [];
}
