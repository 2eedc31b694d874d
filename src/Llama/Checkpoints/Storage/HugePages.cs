using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Checkpoints.Storage;

/// <summary>
/// Asks Linux to back a large CPU tensor with transparent huge pages before its memory is first touched.
/// Decoding streams every weight once per token; 2 MiB pages spare the TLB misses of 4 KiB ones, which is
/// worth a few percent of memory bandwidth. Hosts that do not allow it simply keep small pages.
/// </summary>
internal static partial class HugePages
{
    private const int MadviseHugePage = 14;
    private const long HugePageBytes = 2 << 20;

    public static unsafe void Advise(Tensor tensor)
    {
        if (!OperatingSystem.IsLinux() || tensor.device_type != DeviceType.CPU)
        {
            return;
        }

        var bytes = tensor.bytes;
        if (bytes.Length < 2 * HugePageBytes)
        {
            return;
        }

        fixed (byte* data = bytes)
        {
            var start = ((long)data + HugePageBytes - 1) & ~(HugePageBytes - 1);
            var end = ((long)data + bytes.Length) & ~(HugePageBytes - 1);
            if (end > start)
            {
                _ = Madvise((nint)start, (nuint)(end - start), MadviseHugePage);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
