using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llama.Kernels;

/// <summary>
/// IEEE half precision. .NET exposes no F16C conversion instruction, so the widening is integer arithmetic on eight
/// lanes at once: the exponent and mantissa move into a float's fields and one multiplication by 2^112 rebiases the
/// exponent, which also turns half subnormals into the right normal floats.
/// </summary>
internal readonly unsafe struct KvFloat16 : IKvElement
{
    private const uint InfinityBits = 0x7C00u << 13;
    private const float Rebias = 5.192296858534828e33f; // 2^112

    public static int Size => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* source)
    {
        var bits = Widen(source);
        var magnitude = (bits & Vector256.Create(0x7FFFu)) << 13;
        // Infinity and NaN keep an all-ones exponent: lift them past float's largest finite exponent before scaling.
        magnitude += Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(InfinityBits)) & Vector256.Create(0x70000000u);
        var value = magnitude.AsSingle() * Vector256.Create(Rebias);
        return (value.AsUInt32() | ((bits & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(byte* source) => (float)*(Half*)source;

    public static void ToFloat(byte* source, float* destination, int count) =>
        TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(source, count), new Span<float>(destination, count));

    public static void FromFloat(ReadOnlySpan<float> source, byte* destination) =>
        TensorPrimitives.ConvertToHalf(source, new Span<Half>(destination, source.Length));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Widen(byte* source) =>
        Avx2.IsSupported
            ? Avx2.ConvertToVector256Int32((ushort*)source).AsUInt32()
            : Vector256.WidenLower(Vector256.Create(Vector128.Load((ushort*)source), Vector128<ushort>.Zero));
}
