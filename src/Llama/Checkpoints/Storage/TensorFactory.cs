using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Checkpoints.Storage;

/// <summary>Writes a tensor's bytes, in its stored element type, to <paramref name="destination"/>.</summary>
internal unsafe delegate void FillBytes(byte* destination);

/// <summary>
/// Builds torch tensors from checkpoint bytes: a CPU tensor of the stored type is filled straight from
/// the memory map, then converted to the requested type and device.
/// </summary>
internal static unsafe class TensorFactory
{
    public static Tensor Create(long[] shape, ScalarType storedType, ScalarType type, Device device, FillBytes fill)
    {
        ArgumentNullException.ThrowIfNull(device);
        var raw = empty(shape, storedType, CPU);
        try
        {
            if (raw.numel() > 0)
            {
                fill(DataPointer(raw));
            }

            if (storedType == type && device.type == DeviceType.CPU)
            {
                return raw;
            }

            using (raw)
            {
                return raw.to(type, device);
            }
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    public static Tensor FromStored(StoredTensor source, ScalarType type, Device device) =>
        Create(source.Shape, source.Type, type, device, destination => ByteLayout.Copy(source, destination));

    /// <summary>
    /// The address of a freshly allocated, contiguous CPU tensor's storage. <c>Tensor.bytes</c> is limited
    /// to 2 GiB, so it is taken from a one-element view, which begins where the storage begins.
    /// </summary>
    private static byte* DataPointer(Tensor contiguous)
    {
        using var flat = contiguous.view(-1);
        using var first = flat.narrow(0, 0, 1);
        return (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }
}
