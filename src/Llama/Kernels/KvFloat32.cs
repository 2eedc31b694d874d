using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Llama.Kernels;

/// <summary>A float32 cache: read as it is.</summary>
internal readonly unsafe struct KvFloat32 : IKvElement
{
    public static int Size => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* source) => Vector256.Load((float*)source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(byte* source) => *(float*)source;

    public static void ToFloat(byte* source, float* destination, int count) =>
        new ReadOnlySpan<float>(source, count).CopyTo(new Span<float>(destination, count));

    public static void FromFloat(ReadOnlySpan<float> source, byte* destination) => source.CopyTo(new Span<float>(destination, source.Length));
}
