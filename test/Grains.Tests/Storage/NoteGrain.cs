using LlamaOrleans.Grains;

namespace LlamaOrleans.Tests.Storage;

public sealed class NoteGrain(
    [PersistentState("note", StorageNames.Conversations)] IPersistentState<Note> note,
    ILocalSiloDetails silo) : Grain, INoteGrain
{
    private readonly Guid _activation = Guid.NewGuid();

    public async Task<SiloAddress> Write(string text)
    {
        note.State.Text = text;
        note.State.Writes++;
        note.State.History.Add(text);
        await note.WriteStateAsync();
        return silo.SiloAddress;
    }

    public Task<NoteReading> Read() =>
        Task.FromResult(new NoteReading(note.State, note.RecordExists, silo.SiloAddress, _activation));

    public Task Clear() => note.ClearStateAsync();
}
