namespace Llama.Checkpoints.Storage;

/// <summary>Copies of stored tensor bytes into a destination buffer, rearranged where a format needs it.</summary>
internal static unsafe class ByteLayout
{
    public static void Copy(StoredTensor source, byte* destination)
    {
        var length = source.ByteLength;
        Buffer.MemoryCopy(source.Pointer, destination, length, length);
    }

    /// <summary>
    /// Concatenates <paramref name="parts"/> (same type, same shape except along <paramref name="dim"/>)
    /// along <paramref name="dim"/>, as torch.cat does, into a contiguous destination.
    /// </summary>
    public static void Concatenate(IReadOnlyList<StoredTensor> parts, int dim, byte* destination)
    {
        var elementSize = StoredTypes.ElementSize(parts[0].Type);
        var outer = Shapes.ElementCount(parts[0].Shape.Take(dim).ToArray());
        var chunks = parts.Select(p => Shapes.ElementCount(p.Shape.Skip(dim).ToArray()) * elementSize).ToArray();
        var mergedChunk = chunks.Sum();
        long prefix = 0;
        for (var p = 0; p < parts.Count; p++)
        {
            var source = parts[p].Pointer;
            var chunk = chunks[p];
            for (long i = 0; i < outer; i++)
            {
                Buffer.MemoryCopy(source + (i * chunk), destination + (i * mergedChunk) + prefix, chunk, chunk);
            }

            prefix += chunk;
        }
    }

    /// <summary>Copies a matrix's rows in a new order: destination row r is source row <c>rowOrder[r]</c>.</summary>
    public static void PermuteRows(StoredTensor source, IReadOnlyList<long> rowOrder, byte* destination)
    {
        var rows = source.Shape[0];
        var rowBytes = source.ByteLength / rows;
        var from = source.Pointer;
        for (var r = 0; r < rowOrder.Count; r++)
        {
            Buffer.MemoryCopy(from + (rowOrder[r] * rowBytes), destination + (r * rowBytes), rowBytes, rowBytes);
        }
    }
}
