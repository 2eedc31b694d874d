namespace Llama.Kernels;

/// <summary>
/// Working room that kernels address by pointer beyond a <c>fixed</c> block: a pinned array, reallocated when too short,
/// read from its first address on a given boundary. The collector never moves it, so the address holds for as long as
/// its owner keeps the array.
/// </summary>
internal static unsafe class PinnedScratch
{
    /// <summary>
    /// Room for <paramref name="length"/> elements in <paramref name="array"/> starting on an
    /// <paramref name="alignment"/>-byte boundary (a power of two), replacing the array with a longer one if needed.
    /// </summary>
    public static T* Aligned<T>(ref T[]? array, int length, int alignment)
        where T : unmanaged
    {
        var slack = alignment / sizeof(T);
        if (array is null || array.Length < length + slack)
        {
            array = GC.AllocateUninitializedArray<T>(length + slack, pinned: true);
        }

        fixed (T* start = array)
        {
            return (T*)(((nint)start + alignment - 1) & ~(nint)(alignment - 1));
        }
    }
}
