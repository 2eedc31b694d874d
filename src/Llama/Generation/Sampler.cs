using System.Numerics.Tensors;

namespace Llama.Generation;

/// <summary>Meta's token choice: argmax at temperature 0, else softmax(logits / T) and <c>sample_top_p</c>.</summary>
public static class Sampler
{
    public static int Sample(ReadOnlySpan<float> logits, float temperature, float topP, SeededRandom random)
    {
        if (temperature == 0)
        {
            return TensorPrimitives.IndexOfMax(logits);
        }

        var probabilities = new float[logits.Length];
        TensorPrimitives.Divide(logits, temperature, probabilities);
        // Shifted by the largest first, as torch's softmax: TensorPrimitives.SoftMax would overflow above 88 into NaN.
        TensorPrimitives.Subtract(probabilities, TensorPrimitives.Max(probabilities), probabilities);
        TensorPrimitives.SoftMax(probabilities, probabilities);
        return SampleTopP(probabilities, topP, random);
    }

    /// <summary>
    /// Sorts probabilities descending, zeroes every token whose preceding mass already exceeds
    /// <paramref name="topP"/>, renormalizes and draws one. Tokens below a small threshold are left out of
    /// the sort when the tokens above it already hold more than <paramref name="topP"/>: they would be zeroed anyway.
    /// </summary>
    public static int SampleTopP(float[] probabilities, float topP, SeededRandom random)
    {
        var candidates = Candidates(probabilities, topP);
        candidates.Sort((a, b) => probabilities[b].CompareTo(probabilities[a]));

        var kept = 0;
        var mass = 0f;
        foreach (var token in candidates)
        {
            if (mass > topP)
            {
                break;
            }

            mass += probabilities[token];
            kept++;
        }

        var draw = random.NextDouble() * mass;
        var cumulative = 0.0;
        for (var i = 0; i < kept; i++)
        {
            cumulative += probabilities[candidates[i]];
            if (draw < cumulative)
            {
                return candidates[i];
            }
        }

        return candidates[kept - 1];
    }

    private static List<int> Candidates(float[] probabilities, float topP)
    {
        for (var threshold = 1e-3f; threshold > 1e-9f; threshold /= 100)
        {
            var selected = new List<int>();
            var mass = 0f;
            for (var i = 0; i < probabilities.Length; i++)
            {
                if (probabilities[i] >= threshold)
                {
                    selected.Add(i);
                    mass += probabilities[i];
                }
            }

            if (mass > topP)
            {
                return selected;
            }
        }

        return Enumerable.Range(0, probabilities.Length).ToList();
    }

    /// <summary>log softmax(logits)[token], accumulated in double: Meta's -cross_entropy(logits, token).</summary>
    public static float LogProbability(ReadOnlySpan<float> logits, int token) => LogNormalizer.Of(logits).LogProbability(logits[token]);

    /// <summary>What log_softmax subtracts from a logit: the largest logit and the log of Σ exp(logit − largest), in double.</summary>
    public readonly record struct LogNormalizer(float Max, double LogSum)
    {
        public static LogNormalizer Of(ReadOnlySpan<float> logits)
        {
            var max = TensorPrimitives.Max(logits);
            var sum = 0.0;
            foreach (var value in logits)
            {
                sum += Math.Exp(value - max);
            }

            return new LogNormalizer(max, Math.Log(sum));
        }

        public float LogProbability(float logit) => (float)(logit - Max - LogSum);
    }
}
