using System.Runtime.InteropServices;

namespace Llama.Kernels;

/// <summary>Hands memory the process holds but does not need resident back to the system.</summary>
internal static unsafe partial class MemoryPages
{
    /// <summary>
    /// Drops the whole pages inside [start, start + length) from the process (Linux; a no-op elsewhere). A private
    /// file mapping's untouched pages are read from the file again on use; anonymous memory reads as zeros and takes
    /// a page again only when touched. Partial pages at either end are kept, since other data may share them.
    /// </summary>
    public static void Release(void* start, long length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var page = Environment.SystemPageSize;
        var first = ((long)start + page - 1) / page * page;
        var end = ((long)start + length) / page * page;
        if (end > first)
        {
            _ = Madvise((nint)first, (nuint)(end - first), DontNeed);
        }
    }

    /// <summary>
    /// Makes the pages of [start, start + length) resident and writable in one call (Linux 5.14 or later; elsewhere,
    /// or where the call is refused, each page still comes on its first write): a fault per page costs over ten times
    /// as much on a virtual machine.
    /// </summary>
    public static void Populate(void* start, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
        {
            return;
        }

        var page = Environment.SystemPageSize;
        var first = (long)start / page * page;
        var end = ((long)start + length + page - 1) / page * page;
        _ = Madvise((nint)first, (nuint)(end - first), PopulateWrite);
    }

    private const int DontNeed = 4;

    private const int PopulateWrite = 23;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
