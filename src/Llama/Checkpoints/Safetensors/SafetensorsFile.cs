using System.Buffers.Binary;
using System.Text.Json;
using Llama.Checkpoints.Storage;

namespace Llama.Checkpoints.Safetensors;

/// <summary>
/// Opens <c>.safetensors</c> files: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw little-endian data, read in place through a memory map.
/// </summary>
internal static class SafetensorsFile
{
    private const string MetadataKey = "__metadata__";

    public static TensorFile Open(string path) => TensorFile.Open(path, ReadHeader);

    private static Dictionary<string, StoredTensor> ReadHeader(MappedFile file)
    {
        if (file.Length < 8)
        {
            throw new CheckpointException($"{file.Name} is too short ({file.Length} bytes) to be a safetensors file.");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, 8, "header length"));
        if (headerLength > (ulong)(file.Length - 8) || headerLength > int.MaxValue)
        {
            throw new CheckpointException(
                $"{file.Name}: the safetensors header length {headerLength} goes beyond the file's {file.Length} bytes " +
                "(truncated, or not a safetensors file).");
        }

        var dataStart = 8 + (long)headerLength;
        var dataLength = file.Length - dataStart;
        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(file.Span(8, (int)headerLength, "header").ToArray());
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{file.Name}: the safetensors header is not valid JSON: {e.Message}", e);
        }

        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{file.Name}: the safetensors header is not a JSON object.");
            }

            var tensors = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name != MetadataKey)
                {
                    tensors[entry.Name] = Describe(file, entry.Name, entry.Value, dataStart, dataLength);
                }
            }

            return tensors;
        }
    }

    private static StoredTensor Describe(MappedFile file, string name, JsonElement entry, long dataStart, long dataLength)
    {
        string dtype;
        long[] shape;
        long begin, end;
        try
        {
            dtype = entry.GetProperty("dtype").GetString() ?? "";
            shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            (begin, end) = offsets.Length == 2 ? (offsets[0], offsets[1]) : throw new FormatException("data_offsets needs two numbers");
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"{file.Name}: the header entry of tensor '{name}' is malformed: {e.Message}", e);
        }

        var type = StoredTypes.FromSafetensors(dtype)
            ?? throw new CheckpointException(
                $"{file.Name}: tensor '{name}' has unsupported dtype {dtype}; supported: BF16, F16, F32.");
        var byteLength = Shapes.ByteLength(shape, StoredTypes.ElementSize(type))
            ?? throw new CheckpointException(
                $"{file.Name}: tensor '{name}' has shape {Shapes.Format(shape)}, which no file can hold.");
        if (begin < 0 || end < begin || end - begin != byteLength)
        {
            throw new CheckpointException(
                $"{file.Name}: tensor '{name}' spans bytes {begin}..{end}, but {dtype} {Shapes.Format(shape)} needs {byteLength}.");
        }

        if (end > dataLength)
        {
            throw new CheckpointException(
                $"{file.Name}: tensor '{name}' ends at data byte {end}, beyond the {dataLength} data bytes the file holds (truncated).");
        }

        return new StoredTensor(file, dataStart + begin, type, shape, name);
    }
}
