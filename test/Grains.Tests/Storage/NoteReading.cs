namespace LlamaOrleans.Tests.Storage;

/// <summary>What a <see cref="INoteGrain"/> activation holds, and where and when it was activated.</summary>
[GenerateSerializer]
public sealed record NoteReading(
    [property: Id(0)] Note Note,
    [property: Id(1)] bool RecordExists,
    [property: Id(2)] SiloAddress Silo,
    [property: Id(3)] Guid Activation);
