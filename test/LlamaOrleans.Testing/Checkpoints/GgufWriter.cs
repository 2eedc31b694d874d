using System.Text;
using Llama.Checkpoints.Gguf;
using Llama.Kernels;

namespace LlamaOrleans.Testing.Checkpoints;

/// <summary>
/// Writes GGUF files (version 3 unless told otherwise): header, metadata, tensor infos, then each tensor's data at
/// the next multiple of the alignment. Tensor data is produced one tensor at a time, so large files need little memory.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<(string Key, GgufValueType Type, object Value)> _metadata = [];
    private readonly List<(string Name, long[] Shape, WeightType Type, Func<byte[]> Data)> _tensors = [];

    public uint Version { get; init; } = 3;

    public int Alignment { get; init; } = 32;

    public GgufWriter Add(string key, string value) => Meta(key, GgufValueType.String, value);

    public GgufWriter Add(string key, uint value) => Meta(key, GgufValueType.UInt32, value);

    public GgufWriter Add(string key, float value) => Meta(key, GgufValueType.Float32, value);

    public GgufWriter Add(string key, bool value) => Meta(key, GgufValueType.Bool, value);

    public GgufWriter Add(string key, string[] values) => Meta(key, GgufValueType.Array, values);

    public GgufWriter Add(string key, float[] values) => Meta(key, GgufValueType.Array, values);

    public GgufWriter Add(string key, int[] values) => Meta(key, GgufValueType.Array, values);

    /// <summary>A tensor of <paramref name="shape"/> (rows first, as the model uses it) whose stored bytes <paramref name="data"/> gives.</summary>
    public GgufWriter Tensor(string name, long[] shape, WeightType type, Func<byte[]> data)
    {
        _tensors.Add((name, shape, type, data));
        return this;
    }

    public void Write(string path)
    {
        using var file = new BinaryWriter(File.Create(path), Encoding.UTF8, leaveOpen: false);
        file.Write(GgufFile.Magic);
        file.Write(Version);
        file.Write((ulong)_tensors.Count);
        file.Write((ulong)_metadata.Count);
        foreach (var (key, type, value) in _metadata)
        {
            WriteString(file, key);
            file.Write((uint)type);
            WriteValue(file, type, value);
        }

        long offset = 0;
        foreach (var (name, shape, type, _) in _tensors)
        {
            WriteString(file, name);
            file.Write((uint)shape.Length);
            foreach (var dim in shape.Reverse())
            {
                file.Write((ulong)dim);
            }

            file.Write(GgufTypes.Id(type));
            file.Write((ulong)offset);
            var bytes = shape[..^1].Aggregate(1L, (a, b) => a * b) * type.RowBytes(shape[^1]);
            offset = Align(offset + bytes);
        }

        Pad(file);
        var start = file.BaseStream.Position;
        foreach (var (name, shape, type, data) in _tensors)
        {
            var bytes = data();
            var expected = shape[..^1].Aggregate(1L, (a, b) => a * b) * type.RowBytes(shape[^1]);
            if (bytes.Length != expected)
            {
                throw new InvalidOperationException($"Tensor {name} has {bytes.Length} bytes, expected {expected}.");
            }

            file.Write(bytes);
            Pad(file, start);
        }
    }

    private GgufWriter Meta(string key, GgufValueType type, object value)
    {
        _metadata.Add((key, type, value));
        return this;
    }

    private long Align(long offset) => (offset + Alignment - 1) / Alignment * Alignment;

    private void Pad(BinaryWriter file, long start = 0)
    {
        var position = file.BaseStream.Position - start;
        file.Write(new byte[Align(position) - position]);
    }

    private static void WriteString(BinaryWriter file, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        file.Write((ulong)bytes.Length);
        file.Write(bytes);
    }

    private static void WriteValue(BinaryWriter file, GgufValueType type, object value)
    {
        switch (value)
        {
            case string s:
                WriteString(file, s);
                break;
            case uint u:
                file.Write(u);
                break;
            case float f:
                file.Write(f);
                break;
            case bool b:
                file.Write(b ? (byte)1 : (byte)0);
                break;
            case string[] strings:
                file.Write((uint)GgufValueType.String);
                file.Write((ulong)strings.Length);
                foreach (var s in strings)
                {
                    WriteString(file, s);
                }

                break;
            case float[] floats:
                file.Write((uint)GgufValueType.Float32);
                file.Write((ulong)floats.Length);
                foreach (var f in floats)
                {
                    file.Write(f);
                }

                break;
            case int[] ints:
                file.Write((uint)GgufValueType.Int32);
                file.Write((ulong)ints.Length);
                foreach (var i in ints)
                {
                    file.Write(i);
                }

                break;
            default:
                throw new ArgumentException($"Cannot write a {type} value of {value.GetType()}.");
        }
    }
}
