using Llama.Bench.Serving;

namespace Llama.Bench.Tests.Serving;

/// <summary>Expected values are numpy.percentile's (linear interpolation) on the same data.</summary>
public class PercentilesTests
{
    [Theory]
    [InlineData(50, 2.5)]
    [InlineData(99, 3.97)]
    [InlineData(0, 1)]
    [InlineData(100, 4)]
    public void Interpolates_between_the_nearest_ranks(double percent, double expected)
    {
        Assert.Equal(expected, Percentiles.Of([4, 1, 3, 2], percent), 10);
    }

    [Fact]
    public void Matches_numpy_on_uneven_data()
    {
        // numpy.percentile([15, 20, 35, 40, 50], 40) == 29.0
        Assert.Equal(29.0, Percentiles.Of([50, 15, 40, 20, 35], 40), 10);
    }

    [Fact]
    public void A_single_value_is_every_percentile()
    {
        Assert.Equal(7.5, Percentiles.Of([7.5], 99));
    }

    [Fact]
    public void Rejects_no_values_and_a_percentile_outside_0_to_100()
    {
        Assert.Throws<ArgumentException>(() => Percentiles.Of([], 50));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of([1], 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of([1], double.NaN));
    }
}
