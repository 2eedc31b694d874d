using System.Runtime.Intrinsics;

namespace Llama.Kernels;

/// <summary>
/// How the CPU kernels read and write one element type of the KV cache. Attention works in float32: a 16-bit cache is
/// widened to float in registers as it is read, so a decode row reads half the bytes of its history. The kernels take
/// the type as a generic struct argument, so each type gets its own compiled loop with these calls inlined.
/// </summary>
internal unsafe interface IKvElement
{
    /// <summary>Bytes per element.</summary>
    static abstract int Size { get; }

    /// <summary>The 8 elements at <paramref name="source"/> as floats.</summary>
    static abstract Vector256<float> Load8(byte* source);

    static abstract float Load(byte* source);

    /// <summary>Widens <paramref name="count"/> consecutive elements into floats.</summary>
    static abstract void ToFloat(byte* source, float* destination, int count);

    /// <summary>Rounds <paramref name="source"/> to this type (to nearest, ties to even) into consecutive elements.</summary>
    static abstract void FromFloat(ReadOnlySpan<float> source, byte* destination);
}
