using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Checkpoints.Storage;

/// <summary>
/// Builds torch tensors from checkpoint bytes. Each result is allocated once, in the requested type and
/// on the requested device. Bytes already in that type go straight from the memory map into a CPU
/// result; otherwise they pass through one staging buffer of at most 8 MiB, kept for the reader's
/// lifetime: allocating and freeing a staging tensor per load fragments the native heap by about the
/// checkpoint's size. Peak memory is the mapped pages plus the results plus the staging buffer.
/// </summary>
internal sealed unsafe class TensorReader : IDisposable
{
    private const long StagingBytes = 8L << 20;

    private readonly Lock _lock = new();
    private Tensor? _staging;

    public Tensor Read(StoredTensor source, ScalarType type, Device device) =>
        Read(source.Shape, source.Type, type, device, ByteSegments.Whole(source));

    /// <summary>A tensor of <paramref name="shape"/> whose stored-type bytes are <paramref name="segments"/>, in order.</summary>
    public Tensor Read(long[] shape, ScalarType storedType, ScalarType type, Device device, IEnumerable<ByteSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(device);
        var result = empty(shape, type, device);
        HugePages.Advise(result);
        try
        {
            if (result.numel() > 0)
            {
                if (storedType == type && device.type == DeviceType.CPU)
                {
                    CopyAll(segments, DataPointer(result));
                }
                else
                {
                    lock (_lock)
                    {
                        ConvertThroughStaging(segments, storedType, result);
                    }
                }
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _staging?.Dispose();
            _staging = null;
        }
    }

    private static void CopyAll(IEnumerable<ByteSegment> segments, byte* destination)
    {
        foreach (var segment in segments)
        {
            Buffer.MemoryCopy((void*)segment.Source, destination, segment.Length, segment.Length);
            destination += segment.Length;
        }
    }

    /// <summary>Fills the staging buffer from the segments and copies it, converting, into consecutive slices of the result.</summary>
    private void ConvertThroughStaging(IEnumerable<ByteSegment> segments, ScalarType storedType, Tensor result)
    {
        long elementSize = StoredTypes.ElementSize(storedType);
        var staging = Staging(storedType, Math.Min(result.numel(), StagingBytes / elementSize));
        var capacity = staging.numel() * elementSize;
        using var flat = result.view(-1);
        var buffer = DataPointer(staging);
        long filled = 0, written = 0;

        void Flush()
        {
            var count = filled / elementSize;
            using var slice = flat.narrow(0, written, count);
            using var part = staging.narrow(0, 0, count);
            slice.copy_(part);
            written += count;
            filled = 0;
        }

        foreach (var segment in segments)
        {
            var source = (byte*)segment.Source;
            var left = segment.Length;
            while (left > 0)
            {
                var take = Math.Min(left, capacity - filled);
                Buffer.MemoryCopy(source, buffer + filled, take, take);
                source += take;
                left -= take;
                filled += take;
                if (filled == capacity)
                {
                    Flush();
                }
            }
        }

        if (filled > 0)
        {
            Flush();
        }
    }

    /// <summary>The staging buffer in <paramref name="type"/>, grown to at least <paramref name="elements"/> (within the cap).</summary>
    private Tensor Staging(ScalarType type, long elements)
    {
        if (_staging is null || _staging.dtype != type || _staging.numel() < elements)
        {
            var size = Math.Max(elements, _staging?.dtype == type ? _staging.numel() : 0);
            _staging?.Dispose();
            _staging = empty([size], type, CPU);
        }

        return _staging;
    }

    /// <summary>
    /// The address of a contiguous CPU tensor's storage. <c>Tensor.bytes</c> is limited to 2 GiB, so it
    /// is taken from a one-element view, which begins where the storage begins.
    /// </summary>
    internal static byte* DataPointer(Tensor contiguous)
    {
        using var flat = contiguous.view(-1);
        using var first = flat.narrow(0, 0, 1);
        return (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }
}
