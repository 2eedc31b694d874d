using Llama.Model;

namespace Llama.Parallel;

/// <summary>
/// Coordinates a tensor-parallel model as Meta's model.py runs under fairscale, with the coordinator as the hub of
/// every collective: per step one exchange for the embedding (all-gather of column slices), two per layer (the
/// all-reduces after attention's wo and the FFN's w2), and one for the logits (all-gather of vocabulary slices):
/// 2 × layers + 2 round trips. Two per layer is the floor for this star: the FFN input needs the attention's reduced
/// output plus the residual, and the next layer's attention needs the FFN's.
/// </summary>
public sealed class TensorParallelModel(ModelArgs args, int ranks, KvLayout layout, IShardDirectory<ITensorParallelRank> directory)
    : DistributedModel<ITensorParallelRank>(args, ranks, layout, directory)
{
    protected override float[][] Run(IReadOnlyList<ITensorParallelRank> shards, ShardStep step)
    {
        var all = Enumerable.Range(0, Shards).ToArray();
        int dim = Args.Dim, rows = step.Batch.Sum(s => s.Tokens.Count);
        var tokenBytes = step.Batch.Sum(s => (long)(s.Tokens.Count + s.Blocks.Count + 1)) * sizeof(int);

        var begun = Exchange(all, r => shards[r].BeginAsync(step), tokenBytes, o => o.Data.LongLength * sizeof(float));
        CheckShards(all, begun);
        var h = JoinColumns(begun.Select(o => o.Data).ToArray(), rows);

        long hiddenBytes = (long)rows * dim * sizeof(float);
        for (var layer = 0; layer < Args.NLayers; layer++)
        {
            var l = layer;
            AddInto(h, Exchange(all, r => shards[r].AttentionAsync(step.Step, l, h), hiddenBytes, Bytes));
            AddInto(h, Exchange(all, r => shards[r].FeedForwardAsync(step.Step, l, h), hiddenBytes, Bytes));
        }

        // Only each sequence's last row feeds sampling.
        var last = new float[step.Batch.Count * dim];
        for (int b = 0, row = 0; b < step.Batch.Count; b++)
        {
            row += step.Batch[b].Tokens.Count;
            h.AsSpan((row - 1) * dim, dim).CopyTo(last.AsSpan(b * dim, dim));
        }

        var logits = JoinColumns(Exchange(all, r => shards[r].LogitsAsync(step.Step, last), last.LongLength * sizeof(float), Bytes), step.Batch.Count);
        var vocab = Args.VocabSize;
        return Enumerable.Range(0, step.Batch.Count).Select(b => logits.AsSpan(b * vocab, vocab).ToArray()).ToArray();
    }

    private static long Bytes(float[] data) => data.LongLength * sizeof(float);

    /// <summary>All-gather: rank r's [rows, width] slice becomes columns [r × width, (r + 1) × width) of the result.</summary>
    private static float[] JoinColumns(float[][] parts, int rows)
    {
        var width = parts[0].Length / rows;
        var joined = new float[rows * width * parts.Length];
        for (var r = 0; r < parts.Length; r++)
        {
            if (parts[r].Length != rows * width)
            {
                throw new InvalidOperationException($"Rank {r} answered {parts[r].Length} values, not {rows} × {width}.");
            }

            for (var row = 0; row < rows; row++)
            {
                parts[r].AsSpan(row * width, width).CopyTo(joined.AsSpan((row * width * parts.Length) + (r * width), width));
            }
        }

        return joined;
    }

    /// <summary>All-reduce into the residual stream: h += Σ partials.</summary>
    private static void AddInto(float[] h, float[][] partials)
    {
        foreach (var partial in partials)
        {
            if (partial.Length != h.Length)
            {
                throw new InvalidOperationException($"A rank answered {partial.Length} values, not {h.Length}.");
            }

            System.Numerics.Tensors.TensorPrimitives.Add(h, partial, h);
        }
    }
}
