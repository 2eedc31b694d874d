using System.Runtime.InteropServices;

namespace Llama.Model;

/// <summary>
/// Free and total memory of a CUDA device, from the CUDA runtime libtorch loaded (TorchSharp has no call for it):
/// the KV budget of <see cref="EngineOptions.KvCacheMemoryFraction"/> on a GPU.
/// </summary>
internal static unsafe class CudaMemory
{
    // The runtime's sonames from CUDA 13 back to 11; the unversioned name last (a toolkit install).
    private static readonly string[] RuntimeNames = ["libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so", "cudart64_13.dll", "cudart64_12.dll"];

    private static readonly Lazy<nint> Runtime = new(Load);

    /// <summary>Bytes free and in all on device <paramref name="index"/>, as cudaMemGetInfo reports them.</summary>
    public static (long Free, long Total) Info(int index)
    {
        var library = Runtime.Value;
        var setDevice = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(library, "cudaSetDevice");
        var memGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)NativeLibrary.GetExport(library, "cudaMemGetInfo");
        Check(setDevice(index), "cudaSetDevice");
        nuint free, total;
        Check(memGetInfo(&free, &total), "cudaMemGetInfo");
        return ((long)free, (long)total);
    }

    private static nint Load()
    {
        foreach (var name in RuntimeNames)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                return handle;
            }
        }

        throw new ArgumentException(
            $"A KV cache memory fraction on CUDA reads the device's free memory through the CUDA runtime, and none of {string.Join(", ", RuntimeNames)} loads: give KV cache bytes instead.");
    }

    private static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new InvalidOperationException($"{call} failed with CUDA error {status}.");
        }
    }
}
