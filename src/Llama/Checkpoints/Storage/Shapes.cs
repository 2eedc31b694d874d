namespace Llama.Checkpoints.Storage;

/// <summary>Small helpers over tensor shapes.</summary>
internal static class Shapes
{
    public static long ElementCount(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (var size in shape)
        {
            count = checked(count * size);
        }

        return count;
    }

    /// <summary>
    /// The bytes a shape of <paramref name="elementSize"/>-byte elements takes, or null when a dimension is negative or
    /// the size does not fit a long: a file's header may claim any numbers, and no such tensor can lie in a file.
    /// </summary>
    public static long? ByteLength(IReadOnlyList<long> shape, int elementSize)
    {
        Int128 bytes = elementSize;
        foreach (var size in shape)
        {
            if (size < 0)
            {
                return null;
            }

            bytes *= size;
            if (bytes > long.MaxValue)
            {
                // Later dimensions may be 0, but a header that overflows on the way is not worth reading.
                return null;
            }
        }

        return (long)bytes;
    }

    public static bool Equal(IReadOnlyList<long> a, IReadOnlyList<long> b) => a.SequenceEqual(b);

    public static string Format(IReadOnlyList<long> shape) => $"[{string.Join(", ", shape)}]";
}
