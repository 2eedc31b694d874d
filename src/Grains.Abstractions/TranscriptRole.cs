namespace LlamaOrleans;

/// <summary>
/// Who wrote a message of a conversation's transcript (Meta's roles). Not named ChatRole, which apps using
/// Microsoft.Extensions.AI's IChatClient also import; the alias keeps its earlier name, so stored transcripts still load.
/// </summary>
[GenerateSerializer]
[Alias("llama.ChatRole")]
public enum TranscriptRole
{
    System,
    User,
    Assistant,
}
