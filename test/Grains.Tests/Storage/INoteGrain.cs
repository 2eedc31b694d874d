namespace LlamaOrleans.Tests.Storage;

/// <summary>A test grain whose one persistent state lives in the "conversations" storage.</summary>
public interface INoteGrain : IGrainWithStringKey
{
    /// <summary>Appends <paramref name="text"/> to the note and writes it; returns the silo that did.</summary>
    Task<SiloAddress> Write(string text);

    Task<NoteReading> Read();

    Task Clear();
}
