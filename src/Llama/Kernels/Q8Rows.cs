using System.Runtime.CompilerServices;

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
    }

    public int N { get; }

    public int Cols { get; }

    public sbyte[] Values { get; }

    public float[] Scales { get; }

    public float[] ScaledSums { get; }

    /// <summary>Quantizes <paramref name="n"/> rows of <paramref name="cols"/> values (a multiple of 32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Q8Rows Of(ReadOnlySpan<float> x, int n, int cols)
    {
        var rows = new Q8Rows(n, cols);
        for (var block = 0; block < n * cols / Block; block++)
        {
            var values = x.Slice(block * Block, Block);
            var amax = 0f;
            foreach (var v in values)
            {
                amax = MathF.Max(amax, MathF.Abs(v));
            }

            var d = amax / 127;
            var id = d != 0 ? 1 / d : 0;
            var sum = 0;
            var output = rows.Values.AsSpan(block * Block, Block);
            for (var i = 0; i < Block; i++)
            {
                var q = (int)MathF.Round(values[i] * id, MidpointRounding.AwayFromZero);
                output[i] = (sbyte)q;
                sum += q;
            }

            rows.Scales[block] = d;
            rows.ScaledSums[block] = d * sum;
        }

        return rows;
    }
}
