using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Llama.Kernels;

/// <summary>
/// Input rows quantized as llama.cpp quantizes activations for its integer dot products: blocks of 32 values, each a
/// float scale (largest magnitude / 127) and 32 int8. Each block's scale times its int8 sum is kept too, for the
/// formats whose blocks carry a minimum (Q4_K).
/// </summary>
internal sealed class Q8Rows
{
    public const int Block = 32;

    private Q8Rows(int n, int cols)
    {
        N = n;
        Cols = cols;
        Values = new sbyte[n * cols];
        Scales = new float[n * cols / Block];
        ScaledSums = new float[n * cols / Block];
        HalfSums = new int[n * cols / 16];
    }

    public int N { get; }

    public int Cols { get; }

    public sbyte[] Values { get; }

    public float[] Scales { get; }

    public float[] ScaledSums { get; }

    /// <summary>Each half block's sum of its 16 int8 values (Q6_K scales its values by sixteens; a block's sum is its two).</summary>
    public int[] HalfSums { get; }

    /// <summary>Quantizes <paramref name="n"/> rows of <paramref name="cols"/> values (a multiple of 32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Q8Rows Of(ReadOnlySpan<float> x, int n, int cols)
    {
        var rows = new Q8Rows(n, cols);
        var block = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; block < n * cols / Block; block++)
            {
                Vector(x.Slice(block * Block, Block), rows, block);
            }
        }

        for (; block < n * cols / Block; block++)
        {
            var values = x.Slice(block * Block, Block);
            var amax = 0f;
            foreach (var v in values)
            {
                amax = MathF.Max(amax, MathF.Abs(v));
            }

            var d = amax / 127;
            var id = d != 0 ? 1 / d : 0;
            int low = 0, high = 0;
            var output = rows.Values.AsSpan(block * Block, Block);
            for (var i = 0; i < Block; i++)
            {
                var q = (int)MathF.Round(values[i] * id, MidpointRounding.AwayFromZero);
                output[i] = (sbyte)q;
                if (i < Block / 2)
                {
                    low += q;
                }
                else
                {
                    high += q;
                }
            }

            rows.Scales[block] = d;
            rows.ScaledSums[block] = d * (low + high);
            rows.HalfSums[2 * block] = low;
            rows.HalfSums[(2 * block) + 1] = high;
        }

        return rows;
    }

    /// <summary>One block as the scalar loop quantizes it, eight lanes at a time, the same to the bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Vector(ReadOnlySpan<float> values, Q8Rows rows, int block)
    {
        var v0 = Vector256.Create(values);
        var v1 = Vector256.Create(values[8..]);
        var v2 = Vector256.Create(values[16..]);
        var v3 = Vector256.Create(values[24..]);
        var most = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
        var half = Vector128.Max(most.GetLower(), most.GetUpper());
        half = Vector128.Max(half, Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1)));
        var amax = MathF.Max(half[0], half[1]);
        var d = amax / 127;
        var id = Vector256.Create(d != 0 ? 1 / d : 0);
        var q0 = Round(v0 * id);
        var q1 = Round(v1 * id);
        var q2 = Round(v2 * id);
        var q3 = Round(v3 * id);
        Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3)).StoreUnsafe(ref rows.Values[block * Block]);
        rows.Scales[block] = d;
        int low = Vector256.Sum(q0 + q1), high = Vector256.Sum(q2 + q3);
        rows.ScaledSums[block] = d * (low + high);
        rows.HalfSums[2 * block] = low;
        rows.HalfSums[(2 * block) + 1] = high;
    }

    /// <summary>Rounds half away from zero as <see cref="MathF.Round(float, MidpointRounding)"/> does: truncate, then step out where the fraction is at least a half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Round(Vector256<float> x)
    {
        var whole = Vector256.Truncate(x);
        var step = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(Vector256.Abs(x - whole), Vector256.Create(0.5f)), Vector256.CopySign(Vector256<float>.One, x), Vector256<float>.Zero);
        return Vector256.ConvertToInt32(whole + step);
    }
}
