namespace Llama.Checkpoints;

/// <summary>
/// How fairscale's model parallelism cuts Meta's tensors across <c>consolidated.NN.pth</c> shards:
/// column-parallel layers (wq, wk, wv, w1, w3, output) on dim 0, row-parallel layers (wo, w2) on
/// dim 1, the parallel embedding on dim 1, and norms replicated.
/// </summary>
public static class MetaShardLayout
{
    /// <summary>The dimension <paramref name="name"/> is split along, or null if every shard holds all of it.</summary>
    public static int? SplitDimension(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == TensorNames.TokEmbeddings)
        {
            return 1;
        }

        if (name == TensorNames.Output)
        {
            return 0;
        }

        return LayerTensor(name) switch
        {
            "attention.wq.weight" or "attention.wk.weight" or "attention.wv.weight" => 0,
            "feed_forward.w1.weight" or "feed_forward.w3.weight" => 0,
            "attention.wo.weight" or "feed_forward.w2.weight" => 1,
            _ => null,
        };
    }

    /// <summary>The shape one of <paramref name="shardCount"/> shards holds of a tensor of <paramref name="fullShape"/>.</summary>
    public static long[] ShardShape(string name, IReadOnlyList<long> fullShape, int shardCount)
    {
        ArgumentNullException.ThrowIfNull(fullShape);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        var shape = fullShape.ToArray();
        // A negative size (vocabulary still unknown) stays as it is.
        if (SplitDimension(name) is { } dim && dim < shape.Length && shape[dim] > 0)
        {
            shape[dim] /= shardCount;
        }

        return shape;
    }

    /// <summary>"attention.wq.weight" for "layers.3.attention.wq.weight"; null for non-layer names.</summary>
    private static string? LayerTensor(string name)
    {
        const string prefix = "layers.";
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var dot = name.IndexOf('.', prefix.Length);
        return dot > prefix.Length && int.TryParse(name.AsSpan(prefix.Length, dot - prefix.Length), out _)
            ? name[(dot + 1)..]
            : null;
    }
}
