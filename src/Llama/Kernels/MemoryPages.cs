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

    private const int DontNeed = 4;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
