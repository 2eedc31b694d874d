using System.Buffers.Binary;
using System.Text;

namespace LlamaOrleans.Testing.Checkpoints;

/// <summary>One tensor for <see cref="PthWriter"/>: its storage class and shape, and a writer of its bytes.</summary>
/// <param name="Name">State-dict key.</param>
/// <param name="StorageType">torch storage class, e.g. BFloat16Storage.</param>
/// <param name="ElementSize">Bytes per element of that storage.</param>
/// <param name="Shape">Tensor shape.</param>
/// <param name="WriteData">Writes exactly <see cref="DataLength"/> bytes.</param>
public sealed record PthTensor(string Name, string StorageType, int ElementSize, long[] Shape, Action<Stream> WriteData)
{
    /// <summary>Strides to record; null for contiguous.</summary>
    public long[]? Stride { get; init; }

    /// <summary>Element count to record for the storage; null for the tensor's own.</summary>
    public long? StorageElements { get; init; }

    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);

    public long DataLength => Elements * ElementSize;
}

/// <summary>
/// Writes a state dict the way torch.save does (zip of stored members ARCHIVE/data.pkl, ARCHIVE/data/N,
/// ARCHIVE/version; a protocol-2 pickle rebuilding tensors with _rebuild_tensor_v2), streaming the tensor
/// data so that files of any size can be made for tests and benchmarks.
/// </summary>
public static class PthWriter
{
    public static void Write(string path, IReadOnlyList<PthTensor> tensors, string archive = "archive")
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        var entries = new List<(string Name, long Offset, long Size, uint Crc)>();
        void Member(string name, long size, Action<Stream> write) => entries.Add(WriteMember(file, name, size, write));

        var pickle = Pickle(tensors);
        Member($"{archive}/data.pkl", pickle.Length, s => s.Write(pickle));
        for (var i = 0; i < tensors.Count; i++)
        {
            Member($"{archive}/data/{i}", tensors[i].DataLength, tensors[i].WriteData);
        }

        Member($"{archive}/version", 2, s => s.Write("3\n"u8));
        WriteCentralDirectory(file, entries);
    }

    /// <summary>The pickle torch.save writes for a dict of tensors (protocol 2, no memo).</summary>
    public static byte[] Pickle(IReadOnlyList<PthTensor> tensors)
    {
        var p = new MemoryStream();
        p.Write([0x80, 2, (byte)'}', (byte)'(']);
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            Unicode(p, t.Name);
            Global(p, "torch._utils", "_rebuild_tensor_v2");
            p.WriteByte((byte)'(');
            p.WriteByte((byte)'(');
            Unicode(p, "storage");
            Global(p, "torch", t.StorageType);
            Unicode(p, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Unicode(p, "cpu");
            Int(p, t.StorageElements ?? t.Elements);
            p.WriteByte((byte)'t');
            p.WriteByte((byte)'Q');
            Int(p, 0);
            Tuple(p, t.Shape);
            Tuple(p, t.Stride ?? ContiguousStride(t.Shape));
            p.WriteByte(0x89);
            Global(p, "collections", "OrderedDict");
            p.WriteByte((byte)')');
            p.WriteByte((byte)'R');
            p.WriteByte((byte)'t');
            p.WriteByte((byte)'R');
        }

        p.Write([(byte)'u', (byte)'.']);
        return p.ToArray();
    }

    public static long[] ContiguousStride(long[] shape)
    {
        var stride = new long[shape.Length];
        long s = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            stride[d] = s;
            s *= shape[d];
        }

        return stride;
    }

    private static void Unicode(Stream p, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        p.WriteByte((byte)'X');
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        p.Write(length);
        p.Write(bytes);
    }

    private static void Global(Stream p, string module, string name) => p.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));

    private static void Int(Stream p, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            p.WriteByte((byte)'J');
            BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
            p.Write(bytes[..4]);
        }
        else
        {
            p.Write([0x8a, 8]);
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
            p.Write(bytes);
        }
    }

    private static void Tuple(Stream p, long[] values)
    {
        p.WriteByte((byte)'(');
        foreach (var v in values)
        {
            Int(p, v);
        }

        p.WriteByte((byte)'t');
    }

    private static (string, long, long, uint) WriteMember(FileStream file, string name, long size, Action<Stream> write)
    {
        var offset = file.Position;
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var header = new byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 45);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(18), Clamp(size));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(22), Clamp(size));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(26), (ushort)nameBytes.Length);
        file.Write(header);
        file.Write(nameBytes);

        var crc = new Crc32Stream(file);
        write(crc);
        if (crc.Length != size)
        {
            throw new InvalidOperationException($"{name}: wrote {crc.Length} bytes, declared {size}");
        }

        // Patch the CRC into the local header now that the data has been streamed.
        var end = file.Position;
        file.Position = offset + 14;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crcBytes, crc.Crc);
        file.Write(crcBytes);
        file.Position = end;
        return (name, offset, size, crc.Crc);
    }

    private static void WriteCentralDirectory(FileStream file, List<(string Name, long Offset, long Size, uint Crc)> entries)
    {
        var start = file.Position;
        foreach (var (name, offset, size, crc) in entries)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var wide = size >= uint.MaxValue || offset >= uint.MaxValue;
            var extra = wide ? new byte[4 + 24] : [];
            if (wide)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(extra, 1);
                BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), 24);
                BinaryPrimitives.WriteInt64LittleEndian(extra.AsSpan(4), size);
                BinaryPrimitives.WriteInt64LittleEndian(extra.AsSpan(12), size);
                BinaryPrimitives.WriteInt64LittleEndian(extra.AsSpan(20), offset);
            }

            var header = new byte[46];
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 45);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 45);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), crc);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), wide ? uint.MaxValue : (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), wide ? uint.MaxValue : (uint)size);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(28), (ushort)nameBytes.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(30), (ushort)extra.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(42), wide ? uint.MaxValue : (uint)offset);
            file.Write(header);
            file.Write(nameBytes);
            file.Write(extra);
        }

        var directorySize = file.Position - start;
        var zip64 = start >= uint.MaxValue || entries.Count >= ushort.MaxValue;
        if (zip64)
        {
            var recordAt = file.Position;
            var record = new byte[56];
            BinaryPrimitives.WriteUInt32LittleEndian(record, 0x06064b50);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(4), 44);
            BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(12), 45);
            BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(14), 45);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(24), entries.Count);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(32), entries.Count);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(40), directorySize);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(48), start);
            file.Write(record);
            var locator = new byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
            BinaryPrimitives.WriteInt64LittleEndian(locator.AsSpan(8), recordAt);
            BinaryPrimitives.WriteUInt32LittleEndian(locator.AsSpan(16), 1);
            file.Write(locator);
        }

        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), zip64 ? ushort.MaxValue : (ushort)entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), zip64 ? ushort.MaxValue : (ushort)entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), zip64 ? uint.MaxValue : (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), zip64 ? uint.MaxValue : (uint)start);
        file.Write(end);
    }

    private static uint Clamp(long size) => size >= uint.MaxValue ? uint.MaxValue : (uint)size;
}
