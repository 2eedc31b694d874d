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
    /// Makes the pages of [start, start + length) resident and written now, their contents unchanged: one call to
    /// have them all (Linux 5.14 or later), then a write of each page's first byte with its own value, since on a
    /// virtual machine a page's first write costs several microseconds even once it is resident. Work that writes
    /// the range later then pays nothing for its memory.
    /// </summary>
    public static void Commit(byte* start, long length)
    {
        if (length <= 0)
        {
            return;
        }

        var page = Environment.SystemPageSize;
        var first = (long)start / page * page;
        var end = ((long)start + length + page - 1) / page * page;
        if (OperatingSystem.IsLinux())
        {
            _ = Madvise((nint)first, (nuint)(end - first), PopulateWrite);
        }

        for (var address = Math.Max(first, (long)start); address < (long)start + length; address = (address / page * page) + page)
        {
            var b = (byte*)address;
            Volatile.Write(ref *b, Volatile.Read(ref *b));
        }
    }

    private const int DontNeed = 4;

    private const int PopulateWrite = 23;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
