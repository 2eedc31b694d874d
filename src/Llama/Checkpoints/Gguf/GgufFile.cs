using System.Buffers.Binary;
using System.Text;
using Llama.Checkpoints.Storage;
using Llama.Kernels;

namespace Llama.Checkpoints.Gguf;

/// <summary>
/// The header of a GGUF file (versions 2 and 3): magic "GGUF", version, tensor and metadata counts (uint64), the
/// metadata key/value pairs, the tensor infos, then the tensor data from the next multiple of
/// <c>general.alignment</c> (32 unless stated). Every count and length is checked against the bytes left before
/// anything is allocated for it, so a corrupt header cannot make the reader allocate more than the file's size.
/// </summary>
internal sealed class GgufFile
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    public const uint DefaultAlignment = 32;

    /// <summary>Deepest nesting of metadata arrays accepted: llama.cpp's files nest none.</summary>
    private const int MaxArrayDepth = 4;

    public required MappedFile File { get; init; }

    public required uint Version { get; init; }

    /// <summary>Values: string, long, ulong (above long's range), double, bool, or arrays (string[], float[], int[], long[], double[], bool[], object[]).</summary>
    public required IReadOnlyDictionary<string, object> Metadata { get; init; }

    public required IReadOnlyList<GgufTensorInfo> Tensors { get; init; }

    public required long DataStart { get; init; }

    /// <summary>Whether <paramref name="path"/> starts with the GGUF magic.</summary>
    public static bool HasMagic(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            Span<byte> head = stackalloc byte[4];
            return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == Magic;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Reads the header of an opened map; throws <see cref="CheckpointException"/> naming the first problem.</summary>
    public static GgufFile Read(MappedFile file)
    {
        var r = new Cursor(file);
        if (file.Length < 4 || r.UInt32("the magic") != Magic)
        {
            throw new CheckpointException($"{file.Name}: not a GGUF file (it does not start with the magic \"GGUF\").");
        }

        var version = r.UInt32("the version");
        if (version is not (2 or 3))
        {
            throw new CheckpointException($"{file.Name}: unsupported GGUF version {version}; versions 2 and 3 are read.");
        }

        var tensorCount = r.Count("the tensor count", minBytesEach: 24);
        var kvCount = r.Count("the metadata count", minBytesEach: 13);
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            var key = r.String("a metadata key");
            var type = r.UInt32($"the type of metadata '{key}'");
            if (!metadata.TryAdd(key, r.Value(type, key, depth: 0)))
            {
                throw new CheckpointException($"{file.Name}: metadata key '{key}' appears twice.");
            }
        }

        var alignment = metadata.TryGetValue("general.alignment", out var a) ? a : (long)DefaultAlignment;
        if (a is not null and not long || (long)alignment is <= 0 or > 1 << 20 || ((long)alignment & ((long)alignment - 1)) != 0)
        {
            throw new CheckpointException($"{file.Name}: general.alignment {alignment} is not a power of two up to 1 MiB.");
        }

        var align = (long)alignment;
        var infos = new List<(string Name, long[] Dims, uint Type, ulong Offset)>((int)tensorCount);
        for (long i = 0; i < tensorCount; i++)
        {
            var name = r.String("a tensor name");
            var dimCount = r.UInt32($"the dimension count of tensor '{name}'");
            if (dimCount is 0 or > 4)
            {
                throw new CheckpointException($"{file.Name}: tensor '{name}' has {dimCount} dimensions; GGUF tensors have 1 to 4.");
            }

            var dims = new long[dimCount];
            for (var d = 0; d < dimCount; d++)
            {
                var size = r.UInt64($"a dimension of tensor '{name}'");
                if (size is 0 or > 1UL << 40)
                {
                    throw new CheckpointException($"{file.Name}: tensor '{name}' has an absurd dimension {size}.");
                }

                dims[d] = (long)size;
            }

            infos.Add((name, dims, r.UInt32($"the type of tensor '{name}'"), r.UInt64($"the offset of tensor '{name}'")));
        }

        var dataStart = (r.Position + align - 1) / align * align;
        var dataLength = file.Length - dataStart;
        var tensors = new List<GgufTensorInfo>(infos.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, dims, typeId, offset) in infos)
        {
            if (!names.Add(name))
            {
                throw new CheckpointException($"{file.Name}: tensor '{name}' appears twice.");
            }

            var type = GgufTypes.Of(typeId) ?? throw new CheckpointException(
                $"{file.Name}: tensor '{name}' is stored as {GgufTypes.Name(typeId)}, which this engine does not read " +
                "(it reads F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K).");
            if (dims[0] % type.BlockElements() != 0)
            {
                throw new CheckpointException(
                    $"{file.Name}: tensor '{name}' has rows of {dims[0]} elements, not a whole number of {type} blocks of {type.BlockElements()}.");
            }

            long elements;
            try
            {
                elements = Shapes.ElementCount(dims);
            }
            catch (OverflowException)
            {
                throw new CheckpointException($"{file.Name}: tensor '{name}' has an absurd shape [{string.Join(", ", dims)}].");
            }

            var info = new GgufTensorInfo(name, dims.Reverse().ToArray(), type, 0);
            if (elements > file.Length * 8 || offset % (ulong)align != 0 || offset > (ulong)dataLength || info.ByteLength > dataLength - (long)offset)
            {
                throw new CheckpointException(
                    $"{file.Name}: tensor '{name}' ({type}, [{string.Join(", ", info.Shape)}], {info.ByteLength} bytes at data offset {offset}) " +
                    $"does not lie within the {Math.Max(dataLength, 0)} bytes of tensor data, aligned to {align}; the file is truncated or corrupt.");
            }

            tensors.Add(info with { Offset = dataStart + (long)offset });
        }

        return new GgufFile { File = file, Version = version, Metadata = metadata, Tensors = tensors, DataStart = dataStart };
    }

    /// <summary>Reads little-endian values in order, each checked to lie within the file.</summary>
    private sealed class Cursor(MappedFile file)
    {
        public long Position { get; private set; }

        private long Left => file.Length - Position;

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

        public ulong UInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

        /// <summary>A count whose items take at least <paramref name="minBytesEach"/> bytes each: it cannot exceed what is left.</summary>
        public long Count(string what, long minBytesEach)
        {
            var count = UInt64(what);
            if (count > (ulong)(Left / minBytesEach))
            {
                throw new CheckpointException(
                    $"{file.Name}: {what} {count} is absurd: {Left} bytes remain, room for at most {Left / minBytesEach}; the file is truncated or corrupt.");
            }

            return (long)count;
        }

        public string String(string what)
        {
            var length = Count($"the length of {what}", 1);
            if (length > 1 << 24)
            {
                throw new CheckpointException($"{file.Name}: {what} is {length} bytes long, absurd for a GGUF string.");
            }

            var bytes = Take((int)length, what);
            try
            {
                return new UTF8Encoding(false, true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new CheckpointException($"{file.Name}: {what} is not valid UTF-8.");
            }
        }

        public object Value(uint type, string key, int depth) => (GgufValueType)type switch
        {
            GgufValueType.UInt8 => (long)Take(1, key)[0],
            GgufValueType.Int8 => (long)(sbyte)Take(1, key)[0],
            GgufValueType.UInt16 => (long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2, key)),
            GgufValueType.Int16 => (long)BinaryPrimitives.ReadInt16LittleEndian(Take(2, key)),
            GgufValueType.UInt32 => (long)UInt32(key),
            GgufValueType.Int32 => (long)BinaryPrimitives.ReadInt32LittleEndian(Take(4, key)),
            GgufValueType.Float32 => (double)BinaryPrimitives.ReadSingleLittleEndian(Take(4, key)),
            GgufValueType.Bool => Take(1, key)[0] != 0,
            GgufValueType.String => String($"the value of metadata '{key}'"),
            GgufValueType.UInt64 => UInt64(key) is var u && u <= long.MaxValue ? (long)u : u,
            GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(Take(8, key)),
            GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, key)),
            GgufValueType.Array => Array(key, depth),
            _ => throw new CheckpointException($"{file.Name}: metadata '{key}' has unknown value type {type}."),
        };

        private object Array(string key, int depth)
        {
            if (depth >= MaxArrayDepth)
            {
                throw new CheckpointException($"{file.Name}: metadata '{key}' nests arrays more than {MaxArrayDepth} deep.");
            }

            var type = UInt32($"the element type of metadata '{key}'");
            var size = (GgufValueType)type switch
            {
                GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
                GgufValueType.UInt16 or GgufValueType.Int16 => 2,
                GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
                GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
                GgufValueType.Array => 12,
                _ => throw new CheckpointException($"{file.Name}: metadata '{key}' is an array of unknown value type {type}."),
            };
            var count = (int)Math.Min(Count($"the length of metadata array '{key}'", size), int.MaxValue);
            switch ((GgufValueType)type)
            {
                case GgufValueType.String:
                    var strings = new string[count];
                    for (var i = 0; i < count; i++)
                    {
                        strings[i] = String($"element {i} of metadata '{key}'");
                    }

                    return strings;
                case GgufValueType.Float32:
                    var floats = new float[count];
                    for (var i = 0; i < count; i++)
                    {
                        floats[i] = BinaryPrimitives.ReadSingleLittleEndian(Take(4, key));
                    }

                    return floats;
                case GgufValueType.Int32:
                    var ints = new int[count];
                    for (var i = 0; i < count; i++)
                    {
                        ints[i] = BinaryPrimitives.ReadInt32LittleEndian(Take(4, key));
                    }

                    return ints;
                default:
                    var values = new object[count];
                    for (var i = 0; i < count; i++)
                    {
                        values[i] = Value(type, key, depth + 1);
                    }

                    return values;
            }
        }

        private ReadOnlySpan<byte> Take(int length, string what)
        {
            if (length > Left)
            {
                throw new CheckpointException(
                    $"{file.Name}: the GGUF header ends early, inside {what} at byte {Position} of {file.Length}; the file is truncated or corrupt.");
            }

            var span = file.Span(Position, length, what);
            Position += length;
            return span;
        }
    }
}
