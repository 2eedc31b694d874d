using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Llama.Kernels;

/// <summary>bfloat16: the top half of a float32, so widening is a shift.</summary>
internal readonly unsafe struct KvBFloat16 : IKvElement
{
    public static int Size => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* source) => (KvFloat16.Widen(source) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(byte* source) => BitConverter.UInt32BitsToSingle((uint)*(ushort*)source << 16);

    public static void ToFloat(byte* source, float* destination, int count)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                Load8(source + (2 * i)).Store(destination + i);
            }
        }

        for (; i < count; i++)
        {
            destination[i] = Load(source + (2 * i));
        }
    }

    public static void FromFloat(ReadOnlySpan<float> source, byte* destination)
    {
        var bits = MemoryMarshal.Cast<float, uint>(source);
        var target = (ushort*)destination;
        for (var i = 0; i < bits.Length; i++)
        {
            var b = bits[i];
            // NaN stays a (quiet) NaN; anything else rounds to nearest, ties to even, as libtorch's conversion does.
            target[i] = (b & 0x7FFFFFFFu) > 0x7F800000u ? (ushort)((b >> 16) | 0x40) : (ushort)((b + 0x7FFFu + ((b >> 16) & 1)) >> 16);
        }
    }
}
