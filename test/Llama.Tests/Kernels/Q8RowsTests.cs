using Llama.Kernels;

namespace Llama.Tests.Kernels;

/// <summary>The activations' 8-bit blocks against llama.cpp's scalar recipe: scale = max |x| / 127, values rounded half away from zero.</summary>
public sealed class Q8RowsTests
{
    [Fact]
    public void Blocks_match_the_scalar_recipe_to_the_bit()
    {
        const int n = 3, cols = 96;
        var random = new Random(23);
        var x = Enumerable.Range(0, n * cols).Select(_ => ((random.NextSingle() * 2) - 1) * 5).ToArray();
        // Exact halves after scaling (max 127 → scale 1): 2.5 and -2.5 go out to 3 and -3, as roundf does; a zero block stays zero.
        x[0] = 127;
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = -0.5f;
        Array.Clear(x, 64, 32);
        var q8 = Q8Rows.Of(x, n, cols);
        for (var block = 0; block < n * cols / 32; block++)
        {
            var amax = 0f;
            for (var i = 0; i < 32; i++)
            {
                amax = MathF.Max(amax, MathF.Abs(x[(block * 32) + i]));
            }

            var d = amax / 127;
            var id = d != 0 ? 1 / d : 0;
            var sum = 0;
            var halves = new int[2];
            for (var i = 0; i < 32; i++)
            {
                var q = (int)MathF.Round(x[(block * 32) + i] * id, MidpointRounding.AwayFromZero);
                Assert.Equal(q, q8.Values[(block * 32) + i]);
                sum += q;
                halves[i / 16] += q;
            }

            Assert.Equal(d, q8.Scales[block]);
            Assert.Equal(d * sum, q8.ScaledSums[block]);
            Assert.Equal(halves, q8.HalfSums[(2 * block)..((2 * block) + 2)]);
            Assert.Equal(sum, q8.HalfSums[2 * block] + q8.HalfSums[(2 * block) + 1]);
        }

        Assert.Equal(new sbyte[] { 127, 3, -3, -1 }, q8.Values[..4]);
        Assert.All(q8.Values[64..96], v => Assert.Equal(0, v));
    }
}
