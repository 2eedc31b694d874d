using System.Buffers.Binary;
using System.Text.Json;

namespace LlamaOrleans.Testing.Checkpoints;

/// <summary>Writes a .safetensors file: 8-byte header length, JSON header, raw data.</summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyList<(string Name, string Dtype, long[] Shape, byte[] Data)> tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, dtype, shape, data) in tensors)
        {
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + data.Length } };
            offset += data.Length;
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        file.Write(length);
        file.Write(json);
        foreach (var tensor in tensors)
        {
            file.Write(tensor.Data);
        }
    }
}
