namespace LlamaOrleans;

/// <summary>A token the model could have generated at a step: the text and bytes it would have added there, and its log-probability.</summary>
[GenerateSerializer]
[Alias("llama.LogprobAlternative")]
public sealed record LogprobAlternative
{
    [Id(0)]
    public int Token { get; init; }

    [Id(1)]
    public string Text { get; init; } = string.Empty;

    [Id(2)]
    public byte[] Bytes { get; init; } = [];

    [Id(3)]
    public float Logprob { get; init; }
}
