namespace Llama.Checkpoints.Storage;

/// <summary>A run of bytes in a memory map: part of a tensor's stored-type image.</summary>
internal readonly record struct ByteSegment(nint Source, long Length);

/// <summary>
/// A tensor's bytes in its stored type and final layout, as an ordered sequence of runs taken from
/// mapped files: as stored, concatenated from model-parallel shards, or with rows reordered.
/// </summary>
internal static class ByteSegments
{
    public static IEnumerable<ByteSegment> Whole(StoredTensor source)
    {
        yield return new ByteSegment(source.Address, source.ByteLength);
    }

    /// <summary>
    /// <paramref name="parts"/> (same type, same shape except along <paramref name="dim"/>) joined along
    /// <paramref name="dim"/>, as torch.cat does.
    /// </summary>
    public static IEnumerable<ByteSegment> Concatenation(IReadOnlyList<StoredTensor> parts, int dim)
    {
        var elementSize = StoredTypes.ElementSize(parts[0].Type);
        var outer = Shapes.ElementCount(parts[0].Shape.Take(dim).ToArray());
        var sources = parts.Select(p => p.Address).ToArray();
        var chunks = parts.Select(p => Shapes.ElementCount(p.Shape.Skip(dim).ToArray()) * elementSize).ToArray();
        for (long i = 0; i < outer; i++)
        {
            for (var p = 0; p < parts.Count; p++)
            {
                yield return new ByteSegment(sources[p] + (nint)(i * chunks[p]), chunks[p]);
            }
        }
    }

    /// <summary>A matrix's rows in a new order: row r of the result is row <c>rowSources[r]</c> of <paramref name="source"/>.</summary>
    public static IEnumerable<ByteSegment> RowsInOrder(StoredTensor source, IReadOnlyList<long> rowSources)
    {
        var rowBytes = source.ByteLength / source.Shape[0];
        var start = source.Address;
        foreach (var row in rowSources)
        {
            yield return new ByteSegment(start + (nint)(row * rowBytes), rowBytes);
        }
    }
}
