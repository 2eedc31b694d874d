using Llama.Generation;

namespace Llama.Tests.Generation;

/// <summary>Sampling as Meta's <c>torch.softmax(logits / T)</c> and <c>sample_top_p</c>, at any logit size.</summary>
public sealed class SamplerTests
{
    [Fact]
    public void Logits_far_above_the_float_exponent_range_still_sample_the_dominant_token()
    {
        // 400 / 0.5 = 800: exp overflows float32 unless the largest logit is subtracted first, as torch's softmax does.
        float[] logits = [10, 400, 395, -50];
        var random = new SeededRandom(7);
        var draws = Enumerable.Range(0, 50).Select(_ => Sampler.Sample(logits, temperature: 0.5f, topP: 0.9f, random)).ToList();
        // p(1) = 1 / (1 + e^-10): token 1 alone holds more than top-p 0.9.
        Assert.All(draws, token => Assert.Equal(1, token));
    }
}
