namespace LlamaOrleans;

/// <summary>One message of the full transcript, which keeps everything, also what left the model's view.</summary>
[GenerateSerializer]
[Alias("llama.TranscriptEntry")]
public sealed record TranscriptEntry(
    [property: Id(0)] TranscriptRole Role,
    [property: Id(1)] string Content,
    [property: Id(2)] string? MessageId,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] bool InContext);
