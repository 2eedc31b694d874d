namespace Llama.Bench.Tests;

public class StatisticsTests
{
    [Fact]
    public void Median_of_an_odd_count_is_the_middle_value()
    {
        Assert.Equal(24.16, Statistics.Median([27.5, 23.3, 24.16]));
    }

    [Fact]
    public void Median_of_an_even_count_is_the_mean_of_the_middle_two()
    {
        Assert.Equal(2.5, Statistics.Median([4, 1, 3, 2]));
    }

    [Fact]
    public void Median_of_nothing_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => Statistics.Median([]));
    }
}
