using Llama.Generation;
using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Tests.Model;

/// <summary>The device sampler against the CPU sampler it stands in for: same rule, same seeded draws, same tokens.</summary>
public class DeviceSamplerTests
{
    private static float[][] RandomLogits(int rows, int vocab, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, vocab).Select(_ => (float)(random.NextDouble() * 8) - 4).ToArray()).ToArray();
    }

    [Fact]
    public void Greedy_rows_take_the_first_of_equal_maxima_as_the_cpu_sampler()
    {
        var logits = RandomLogits(6, 512, 1);
        logits[2][7] = logits[2][300] = 50;
        var sampling = Enumerable.Repeat(new RowSampling(0, 0.9f, 0, false), 6).ToArray();

        var tokens = Sample(logits, sampling);

        for (var r = 0; r < logits.Length; r++)
        {
            Assert.Equal(Sampler.Sample(logits[r], 0, 0.9f, new SeededRandom(0)), tokens[r]);
        }

        Assert.Equal(7, tokens[2]);
    }

    [Theory]
    [InlineData(1.0f, 0.9f)]
    [InlineData(0.6f, 0.95f)]
    [InlineData(1.3f, 0.5f)]
    [InlineData(0.8f, 1.0f)]
    public void Top_p_rows_pick_the_cpu_samplers_token_from_the_same_seeded_draw(float temperature, float topP)
    {
        const int rows = 64;
        var logits = RandomLogits(rows, 512, 2);
        // Each row draws from its own seeded generator, as each serving turn does; the CPU sampler gets an identical one.
        var sampling = Enumerable.Range(0, rows).Select(r => new RowSampling(temperature, topP, new SeededRandom((ulong)r).NextDouble(), false)).ToArray();

        var tokens = Sample(logits, sampling);

        for (var r = 0; r < rows; r++)
        {
            Assert.Equal(Sampler.Sample(logits[r], temperature, topP, new SeededRandom((ulong)r)), tokens[r]);
        }

        Assert.True(tokens.Distinct().Count() > rows / 4, "different draws pick different tokens");
    }

    [Fact]
    public void A_batch_mixing_greedy_and_sampled_rows_treats_each_by_its_own_settings()
    {
        var logits = RandomLogits(4, 256, 3);
        (float Temperature, float TopP)[] settings = [(0, 0.9f), (1, 0.9f), (0, 0.1f), (0.7f, 0.8f)];
        var sampling = settings.Select((s, r) => new RowSampling(s.Temperature, s.TopP, s.Temperature == 0 ? 0 : new SeededRandom((ulong)r).NextDouble(), false)).ToArray();

        var tokens = Sample(logits, sampling);

        for (var r = 0; r < 4; r++)
        {
            Assert.Equal(Sampler.Sample(logits[r], settings[r].Temperature, settings[r].TopP, new SeededRandom((ulong)r)), tokens[r]);
        }
    }

    [Fact]
    public void Logits_that_do_not_match_the_rows_are_rejected()
    {
        using var logits = zeros(3, 10);
        var error = Assert.Throws<ArgumentException>(() => DeviceSampler.Sample(logits, [new RowSampling(0, 1, 0, false)]));
        Assert.Equal("Expected logits [1, vocab], got [3, 10].", error.Message);
    }

    private static int[] Sample(float[][] logits, RowSampling[] sampling)
    {
        using var rows = tensor(logits.SelectMany(r => r).ToArray(), [logits.Length, logits[0].Length]);
        using var tokens = DeviceSampler.Sample(rows, sampling);
        return tokens.data<long>().ToArray().Select(t => (int)t).ToArray();
    }
}
