using System.Text;
using Llama.Checkpoints.Storage;

namespace Llama.Checkpoints.Pth;

/// <summary>
/// Opens files written by <c>torch.save</c> holding a state dict: a zip archive with <c>ARCHIVE/data.pkl</c>
/// (the pickled dict) and one stored member <c>ARCHIVE/data/KEY</c> per storage. Tensors are described,
/// not read: their bytes stay in the memory map until a reader copies them out.
/// </summary>
internal static class TorchArchive
{
    public static TensorFile Open(string path) => TensorFile.Open(path, ReadTensors);

    private static Dictionary<string, StoredTensor> ReadTensors(MappedFile file)
    {
        var zip = ZipDirectory.Read(file);
        var pickle = zip.Entries.FirstOrDefault(e => e.Name == "data.pkl" || e.Name.EndsWith("/data.pkl", StringComparison.Ordinal))
            ?? throw new CheckpointException($"{file.Name} is a zip archive but not a torch.save checkpoint: it has no data.pkl.");
        var prefix = pickle.Name[..^"data.pkl".Length];
        CheckByteOrder(file, zip, prefix);

        if (pickle.Size > int.MaxValue)
        {
            throw new CheckpointException($"{file.Name}: data.pkl is implausibly large ({pickle.Size} bytes).");
        }

        var code = file.Span(zip.DataOffset(pickle), (int)pickle.Size, "data.pkl");
        var root = PickleMachine.Load(code, $"{file.Name} ({pickle.Name})");
        if (root is not PickleDict dict)
        {
            throw new CheckpointException($"{file.Name}: data.pkl holds {root?.GetType().Name ?? "None"}, not a state dict.");
        }

        var tensors = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name || value is not TorchTensorRef tensor)
            {
                throw new CheckpointException(
                    $"{file.Name}: data.pkl is not a state dict of tensors (entry '{key}' holds {value?.GetType().Name ?? "None"}).");
            }

            tensors[name] = Locate(file, zip, prefix, name, tensor);
        }

        return tensors;
    }

    /// <summary>Where a tensor's bytes lie: its storage member plus the view's offset, checked against the storage.</summary>
    private static StoredTensor Locate(MappedFile file, ZipDirectory zip, string prefix, string name, TorchTensorRef tensor)
    {
        var storage = tensor.Storage;
        var type = StoredTypes.FromTorchStorage(storage.TypeName)
            ?? throw new CheckpointException(
                $"{file.Name}: tensor '{name}' has unsupported dtype (storage torch.{storage.TypeName}); " +
                $"supported: {StoredTypes.Supported}.");
        if (!IsContiguous(tensor.Shape, tensor.Stride))
        {
            throw new CheckpointException(
                $"{file.Name}: tensor '{name}' is not contiguous (shape {Shapes.Format(tensor.Shape)}, " +
                $"stride {Shapes.Format(tensor.Stride)}); save it with .contiguous().");
        }

        var member = $"{prefix}data/{storage.Key}";
        var entry = zip.Find(member)
            ?? throw new CheckpointException($"{file.Name}: storage '{storage.Key}' of tensor '{name}' is missing (no member {member}).");
        var elementSize = StoredTypes.ElementSize(type);
        var storageBytes = Shapes.ByteLength([storage.ElementCount], elementSize);
        if (storageBytes is not { } needed || entry.Size < needed)
        {
            throw new CheckpointException(
                $"{file.Name}: storage '{storage.Key}' of tensor '{name}' holds {entry.Size} bytes, but " +
                $"{storage.ElementCount} {StoredTypes.Name(type)} elements need {(Int128)storage.ElementCount * elementSize} (truncated).");
        }

        if (Shapes.ByteLength(tensor.Shape, 1) is not { } count)
        {
            throw new CheckpointException(
                $"{file.Name}: tensor '{name}' has shape {Shapes.Format(tensor.Shape)}, which no file can hold.");
        }

        if (tensor.StorageOffset < 0 || tensor.StorageOffset > storage.ElementCount - count)
        {
            throw new CheckpointException(
                $"{file.Name}: tensor '{name}' ({count} elements at offset {tensor.StorageOffset}) runs past " +
                $"its storage of {storage.ElementCount} elements.");
        }

        var offset = zip.DataOffset(entry) + (tensor.StorageOffset * elementSize);
        return new StoredTensor(file, offset, type, tensor.Shape, name);
    }

    private static bool IsContiguous(long[] shape, long[] stride)
    {
        if (shape.Length != stride.Length)
        {
            return false;
        }

        long expected = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            // A dimension of size 1 may carry any stride.
            if (shape[d] != 1 && stride[d] != expected)
            {
                return false;
            }

            expected *= shape[d];
        }

        return true;
    }

    /// <summary>Newer torch versions record the byte order; the data is read as little-endian.</summary>
    private static void CheckByteOrder(MappedFile file, ZipDirectory zip, string prefix)
    {
        if (zip.Find($"{prefix}byteorder") is not { } entry)
        {
            return;
        }

        var order = Encoding.ASCII.GetString(file.Span(zip.DataOffset(entry), (int)Math.Min(entry.Size, 16), "byteorder")).Trim();
        if (order != "little")
        {
            throw new CheckpointException($"{file.Name} was saved with {order}-endian data; only little-endian is supported.");
        }
    }
}
