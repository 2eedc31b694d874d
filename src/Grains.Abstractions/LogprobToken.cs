namespace LlamaOrleans;

/// <summary>
/// A generated token with its log-probability and the most likely tokens at its step. <see cref="Text"/> is the reply
/// text this token made final, so the texts of a reply's tokens concatenate to the reply (a byte token that starts a
/// character has none; the one that completes it carries the character); <see cref="Bytes"/> are the token's own
/// UTF-8 bytes.
/// </summary>
[GenerateSerializer]
[Alias("llama.LogprobToken")]
public sealed record LogprobToken
{
    [Id(0)]
    public int Token { get; init; }

    [Id(1)]
    public string Text { get; init; } = string.Empty;

    [Id(2)]
    public byte[] Bytes { get; init; } = [];

    /// <summary>Natural log of its probability under the model's raw logits (not scaled by temperature).</summary>
    [Id(3)]
    public float Logprob { get; init; }

    /// <summary>The most likely tokens at this step, most likely first, as many as the request asked for.</summary>
    [Id(4)]
    public LogprobAlternative[] Top { get; init; } = [];
}
