using System.Buffers.Binary;
using System.Text;
using Llama.Checkpoints.Storage;

namespace Llama.Checkpoints.Pth;

/// <summary>
/// The central directory of a zip archive (with zip64 extensions, which torch.save uses for files
/// over 4 GiB), and the data offsets of its stored members. Only what a torch checkpoint needs is read.
/// </summary>
internal sealed class ZipDirectory
{
    private const uint EndOfDirectorySignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndOfDirectorySignature = 0x06064b50;
    private const uint DirectoryEntrySignature = 0x02014b50;
    private const uint LocalHeaderSignature = 0x04034b50;
    private const int EndOfDirectorySize = 22;
    private const int Zip64LocatorSize = 20;
    private const int DirectoryEntrySize = 46;
    private const int LocalHeaderSize = 30;
    private const ushort Zip64ExtraId = 0x0001;

    private readonly MappedFile _file;
    private readonly Dictionary<string, ZipEntry> _entries;

    private ZipDirectory(MappedFile file, Dictionary<string, ZipEntry> entries)
    {
        _file = file;
        _entries = entries;
    }

    public IReadOnlyCollection<ZipEntry> Entries => _entries.Values;

    public static ZipDirectory Read(MappedFile file)
    {
        var end = FindEndOfDirectory(file);
        var eocd = file.Span(end, EndOfDirectorySize, "end of central directory");
        long count = BinaryPrimitives.ReadUInt16LittleEndian(eocd[10..]);
        long size = BinaryPrimitives.ReadUInt32LittleEndian(eocd[12..]);
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(eocd[16..]);
        if (count == ushort.MaxValue || size == uint.MaxValue || offset == uint.MaxValue)
        {
            (count, size, offset) = ReadZip64End(file, end);
        }

        var entries = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        var position = offset;
        for (long i = 0; i < count; i++)
        {
            var entry = ReadDirectoryEntry(file, ref position);
            if (!entries.TryAdd(entry.Name, entry))
            {
                throw Corrupt(file, $"member '{entry.Name}' appears twice");
            }
        }

        if (position > offset + size)
        {
            throw Corrupt(file, "the central directory is longer than its recorded size");
        }

        return new ZipDirectory(file, entries);
    }

    public ZipEntry? Find(string name) => _entries.GetValueOrDefault(name);

    /// <summary>
    /// The file offset of a member's content. Members must be stored uncompressed (as torch.save
    /// writes them) so that they can be read in place through the memory map.
    /// </summary>
    public long DataOffset(ZipEntry entry)
    {
        if (entry.Method != 0)
        {
            throw new CheckpointException(
                $"{_file.Name}: zip member '{entry.Name}' is compressed (method {entry.Method}); torch.save " +
                "writes members stored, and only stored members can be read in place.");
        }

        if ((entry.Flags & 1) != 0)
        {
            throw new CheckpointException($"{_file.Name}: zip member '{entry.Name}' is encrypted.");
        }

        var header = _file.Span(entry.LocalHeaderOffset, LocalHeaderSize, $"local header of '{entry.Name}'");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalHeaderSignature)
        {
            throw Corrupt(_file, $"the local header of '{entry.Name}' has a wrong signature");
        }

        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[26..]);
        var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
        var data = entry.LocalHeaderOffset + LocalHeaderSize + nameLength + extraLength;
        _file.CheckRange(data, entry.Size, $"zip member '{entry.Name}'");
        return data;
    }

    private static long FindEndOfDirectory(MappedFile file)
    {
        // The record sits at the very end, followed only by a comment of at most 64 KiB.
        var lowest = Math.Max(0, file.Length - EndOfDirectorySize - ushort.MaxValue);
        for (var at = file.Length - EndOfDirectorySize; at >= lowest; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(file.Span(at, 4, "end of central directory")) == EndOfDirectorySignature)
            {
                return at;
            }
        }

        throw Corrupt(file, "no end-of-central-directory record (not a zip archive, or truncated)");
    }

    private static (long Count, long Size, long Offset) ReadZip64End(MappedFile file, long end)
    {
        var locatorAt = end - Zip64LocatorSize;
        if (locatorAt < 0 ||
            BinaryPrimitives.ReadUInt32LittleEndian(file.Span(locatorAt, 4, "zip64 locator")) != Zip64LocatorSignature)
        {
            throw Corrupt(file, "the zip64 end-of-central-directory locator is missing");
        }

        var recordAt = BinaryPrimitives.ReadInt64LittleEndian(file.Span(locatorAt + 8, 8, "zip64 locator"));
        var record = file.Span(recordAt, 56, "zip64 end of central directory");
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndOfDirectorySignature)
        {
            throw Corrupt(file, "the zip64 end-of-central-directory record has a wrong signature");
        }

        return (
            BinaryPrimitives.ReadInt64LittleEndian(record[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(record[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(record[48..]));
    }

    private static ZipEntry ReadDirectoryEntry(MappedFile file, ref long position)
    {
        var fixedPart = file.Span(position, DirectoryEntrySize, "central directory");
        if (BinaryPrimitives.ReadUInt32LittleEndian(fixedPart) != DirectoryEntrySignature)
        {
            throw Corrupt(file, $"central directory entry at byte {position} has a wrong signature");
        }

        var flags = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[8..]);
        var method = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[10..]);
        long compressed = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[20..]);
        long size = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[24..]);
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[28..]);
        var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[30..]);
        var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[32..]);
        long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[42..]);
        var name = Encoding.UTF8.GetString(file.Span(position + DirectoryEntrySize, nameLength, "central directory"));
        var extra = file.Span(position + DirectoryEntrySize + nameLength, extraLength, "central directory");

        // Zip64: the fields saturated at 0xFFFFFFFF are given as 8-byte values, in this order.
        if (size == uint.MaxValue || compressed == uint.MaxValue || localOffset == uint.MaxValue)
        {
            var zip64 = FindExtra(extra, Zip64ExtraId);
            var at = 0;
            size = NextZip64Value(file, name, zip64, size, ref at);
            compressed = NextZip64Value(file, name, zip64, compressed, ref at);
            localOffset = NextZip64Value(file, name, zip64, localOffset, ref at);
        }

        position += DirectoryEntrySize + nameLength + extraLength + commentLength;
        return new ZipEntry(name, method, flags, compressed, size, localOffset);
    }

    private static long NextZip64Value(MappedFile file, string name, ReadOnlySpan<byte> zip64, long value, ref int at)
    {
        if (value != uint.MaxValue)
        {
            return value;
        }

        if (at + 8 > zip64.Length)
        {
            throw Corrupt(file, $"member '{name}' has a short zip64 extra field");
        }

        var wide = BinaryPrimitives.ReadInt64LittleEndian(zip64[at..]);
        at += 8;
        return wide;
    }

    private static ReadOnlySpan<byte> FindExtra(ReadOnlySpan<byte> extra, ushort id)
    {
        while (extra.Length >= 4)
        {
            var fieldId = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            var body = extra[4..Math.Min(extra.Length, 4 + length)];
            if (fieldId == id)
            {
                return body;
            }

            extra = extra[Math.Min(extra.Length, 4 + length)..];
        }

        return [];
    }

    private static CheckpointException Corrupt(MappedFile file, string what) =>
        new($"{file.Name} is not a valid PyTorch zip checkpoint: {what}.");
}
