using System.Numerics;
using System.Runtime.CompilerServices;

namespace Llama.Kernels;

/// <summary>
/// Dot product and multiply-add for head-sized vectors (8 to 128 floats), inlined into the attention loop:
/// at these lengths a general library call costs as much as the arithmetic.
/// </summary>
internal static unsafe class SmallVectors
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        var i = 0;
        var sum = 0f;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                acc += Unsafe.ReadUnaligned<Vector<float>>(a + i) * Unsafe.ReadUnaligned<Vector<float>>(b + i);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>y += a · x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(float* y, float* x, float a, int n)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var scale = new Vector<float>(a);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var updated = Unsafe.ReadUnaligned<Vector<float>>(y + i) + (scale * Unsafe.ReadUnaligned<Vector<float>>(x + i));
                Unsafe.WriteUnaligned(y + i, updated);
            }
        }

        for (; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }
}
