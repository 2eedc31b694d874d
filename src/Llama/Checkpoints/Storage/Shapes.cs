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

    public static bool Equal(IReadOnlyList<long> a, IReadOnlyList<long> b) => a.SequenceEqual(b);

    public static string Format(IReadOnlyList<long> shape) => $"[{string.Join(", ", shape)}]";
}
