namespace LlamaOrleans;

/// <summary>
/// A user's message with the client's id for it: sending the same id again returns the recorded reply
/// instead of generating twice.
/// </summary>
[GenerateSerializer]
[Alias("llama.UserMessage")]
public sealed record UserMessage(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string Content)
{
    /// <summary>Most tokens of this turn's reply, instead of <see cref="ConversationSettings.MaxReplyTokens"/>; null: the settings'.</summary>
    [Id(2)]
    public int? MaxReplyTokens { get; init; }

    /// <summary>This turn's sampling temperature, instead of the settings'; null: the settings'.</summary>
    [Id(3)]
    public float? Temperature { get; init; }

    /// <summary>This turn's top-p, instead of the settings'; null: the settings'.</summary>
    [Id(4)]
    public float? TopP { get; init; }

    /// <summary>This turn's sampling seed, instead of the one the settings' seed derives for it; null: the settings'.</summary>
    [Id(5)]
    public ulong? Seed { get; init; }
}
