namespace Llama.Bench.Tests;

public class MemoryBandwidthTests
{
    [Fact]
    public unsafe void Sum_adds_every_float_of_the_slice()
    {
        var count = 4 * System.Numerics.Vector<float>.Count * 3;
        var values = Enumerable.Range(1, count).Select(i => (float)i).ToArray();

        fixed (float* start = values)
        {
            Assert.Equal(count * (count + 1) / 2f, MemoryBandwidth.Sum(start, count));
        }
    }

    [Fact]
    public void Measures_a_positive_finite_rate_on_a_small_buffer()
    {
        var rate = MemoryBandwidth.MeasureBytesPerSecond(threads: 2, bytes: 1 << 20, passes: 1, CancellationToken.None);

        Assert.True(double.IsFinite(rate) && rate > 0, $"rate {rate}");
    }

    [Fact]
    public void Rejects_a_buffer_too_small_to_split_among_the_threads()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryBandwidth.MeasureBytesPerSecond(64, 256, 1, CancellationToken.None));
    }
}
