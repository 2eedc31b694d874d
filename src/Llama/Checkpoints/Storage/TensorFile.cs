namespace Llama.Checkpoints.Storage;

/// <summary>
/// One memory-mapped checkpoint file and the tensors its container format describes (torch.save zip,
/// safetensors): the tensors' bytes stay in the map until a reader copies them out.
/// </summary>
internal sealed class TensorFile : IDisposable
{
    private readonly MappedFile _file;

    private TensorFile(MappedFile file, IReadOnlyDictionary<string, StoredTensor> tensors)
    {
        _file = file;
        Tensors = tensors;
    }

    public string Path => _file.Path;

    public string Name => _file.Name;

    public long Length => _file.Length;

    /// <summary>Every tensor by its key, in the file's order.</summary>
    public IReadOnlyDictionary<string, StoredTensor> Tensors { get; }

    /// <summary>Maps <paramref name="path"/> and lets <paramref name="describe"/> read the format's index of tensors.</summary>
    public static TensorFile Open(string path, Func<MappedFile, IReadOnlyDictionary<string, StoredTensor>> describe)
    {
        var file = MappedFile.Open(path);
        try
        {
            return new TensorFile(file, describe(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose() => _file.Dispose();
}
