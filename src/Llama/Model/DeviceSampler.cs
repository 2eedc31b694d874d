using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>
/// Meta's token choice on the logits' device, the same rule as <c>Llama.Generation.Sampler</c>: argmax (first of
/// equal maxima) at temperature 0; else softmax(logits / T), probabilities sorted descending, every token whose
/// preceding mass exceeds top_p dropped, and the token where the kept mass times the row's draw falls.
/// </summary>
public static class DeviceSampler
{
    /// <param name="logits">[rows, vocab] float32 on any device.</param>
    /// <returns>Token ids [rows], int64, on the logits' device.</returns>
    public static Tensor Sample(Tensor logits, IReadOnlyList<RowSampling> sampling)
    {
        if (logits.dim() != 2 || logits.shape[0] != sampling.Count)
        {
            throw new ArgumentException($"Expected logits [{sampling.Count}, vocab], got [{string.Join(", ", logits.shape)}].");
        }

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var device = logits.device;
        var temperature = tensor(sampling.Select(s => s.Temperature).ToArray(), device: device);
        var topP = tensor(sampling.Select(s => (double)s.TopP).ToArray(), device: device);
        var draw = tensor(sampling.Select(s => s.Draw).ToArray(), device: device);
        return Sample(logits, temperature, topP, draw, sampling.All(s => s.Temperature == 0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same from device tensors, launching no host synchronization (it runs inside a CUDA graph): per row
    /// <paramref name="temperature"/> [rows] float32, <paramref name="topP"/> and <paramref name="draw"/> [rows] float64.
    /// <paramref name="allGreedy"/> skips the top-p work when every temperature is 0.
    /// </summary>
    public static Tensor Sample(Tensor logits, Tensor temperature, Tensor topP, Tensor draw, bool allGreedy)
    {
        using var scope = NewDisposeScope();
        var greedy = logits.argmax(-1);
        if (allGreedy)
        {
            return greedy.MoveToOuterDisposeScope();
        }

        var isGreedy = temperature.eq(0);
        var probabilities = (logits / temperature.masked_fill(isGreedy, 1).unsqueeze(1)).softmax(-1);
        var (sorted, order) = probabilities.sort(-1, descending: true);
        // Accumulated in double, as the CPU sampler draws.
        var mass = sorted.to_type(ScalarType.Float64);
        var kept = (mass.cumsum(-1) - mass).le(topP.unsqueeze(1));
        var keptCumulative = (mass * kept).cumsum(-1);
        var total = keptCumulative.narrow(1, keptCumulative.shape[1] - 1, 1);
        // The first kept token whose cumulative mass exceeds the draw: the count of those at or below it.
        var index = keptCumulative.le(draw.unsqueeze(1) * total).sum(-1, keepdim: true).minimum(kept.sum(-1, keepdim: true) - 1);
        var sampled = order.gather(1, index).squeeze(1);
        return where(isGreedy, greedy, sampled).MoveToOuterDisposeScope();
    }
}
