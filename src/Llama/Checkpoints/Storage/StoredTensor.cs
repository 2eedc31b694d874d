using static TorchSharp.torch;

namespace Llama.Checkpoints.Storage;

/// <summary>A tensor's raw, contiguous, little-endian bytes inside a mapped checkpoint file.</summary>
/// <param name="File">The mapped file holding the bytes.</param>
/// <param name="Offset">Byte offset of the first element in the file.</param>
/// <param name="Type">Element type as stored.</param>
/// <param name="Shape">Shape as stored.</param>
/// <param name="Name">The tensor's name in its file, for messages.</param>
internal sealed record StoredTensor(MappedFile File, long Offset, ScalarType Type, long[] Shape, string Name)
{
    public long ElementCount => Shapes.ElementCount(Shape);

    public long ByteLength => ElementCount * StoredTypes.ElementSize(Type);

    /// <summary>Address of the first byte, checked to lie wholly inside the file.</summary>
    public unsafe byte* Pointer => File.Pointer(Offset, ByteLength, $"data of tensor '{Name}'");

    /// <summary><see cref="Pointer"/> as an integer, for code that cannot hold pointers (iterators).</summary>
    public unsafe nint Address => (nint)Pointer;
}
