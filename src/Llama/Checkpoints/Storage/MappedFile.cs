using System.IO.MemoryMappedFiles;

namespace Llama.Checkpoints.Storage;

/// <summary>
/// A read-only memory map of a whole checkpoint file. Tensors are copied straight from the mapped
/// pages into their destination, so a checkpoint is never duplicated in managed memory.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;

    private MappedFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* pointer)
    {
        Path = path;
        Length = length;
        _map = map;
        _view = view;
        _pointer = pointer;
    }

    public string Path { get; }

    public long Length { get; }

    /// <summary>The file name, for messages.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    public static MappedFile Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"Cannot open {path}: {e.Message}", e);
        }

        var length = stream.Length;
        if (length == 0)
        {
            // An empty file cannot be mapped; it has nothing to read either.
            stream.Dispose();
            return new MappedFile(path, 0, null, null, null);
        }

        var map = MemoryMappedFile.CreateFromFile(
            stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new MappedFile(path, length, map, view, pointer + view.PointerOffset);
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Address of <paramref name="length"/> bytes at <paramref name="offset"/>; throws naming
    /// <paramref name="what"/> when the range runs past the end of the file.
    /// </summary>
    public byte* Pointer(long offset, long length, string what)
    {
        CheckRange(offset, length, what);
        return _pointer + offset;
    }

    /// <summary>A span over a small region (headers, pickles); large tensors go through <see cref="Pointer"/>.</summary>
    public ReadOnlySpan<byte> Span(long offset, int length, string what)
    {
        CheckRange(offset, length, what);
        return new ReadOnlySpan<byte>(_pointer + offset, length);
    }

    public void CheckRange(long offset, long length, string what)
    {
        ObjectDisposedException.ThrowIf(_pointer is null && Length > 0, this);
        if (offset < 0 || length < 0 || offset > Length - length)
        {
            throw new CheckpointException(
                $"{Name}: {what} (bytes {offset}..{offset + length}) extends beyond the end of the file " +
                $"({Length} bytes); the file is truncated or corrupt.");
        }
    }

    public void Dispose()
    {
        if (_view is not null && _pointer is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        _pointer = null;
        _view?.Dispose();
        _map?.Dispose();
    }
}
