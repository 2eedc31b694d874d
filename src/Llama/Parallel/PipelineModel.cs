using Llama.Model;

namespace Llama.Parallel;

/// <summary>
/// Coordinates a pipeline-parallel model: each step passes the batch through the stages in order, activations
/// [rows, dim] from one to the next, one round trip per stage. Fewer and larger exchanges than tensor parallelism
/// (stages rather than 2 × layers), for links where a per-layer all-reduce costs too much; the stages work one after
/// another.
/// </summary>
public sealed class PipelineModel(ModelArgs args, int stages, KvLayout layout, IShardDirectory<IPipelineStage> directory)
    : DistributedModel<IPipelineStage>(args, stages, layout, directory)
{
    protected override float[][] Run(IReadOnlyList<IPipelineStage> shards, ShardStep step)
    {
        float[]? hidden = null;
        var tokenBytes = step.Batch.Sum(s => (long)(s.Tokens.Count + s.Blocks.Count + 1)) * sizeof(int);
        for (var stage = 0; stage < Shards; stage++)
        {
            var s = stage;
            var input = hidden;
            var output = Exchange([s], i => shards[i].ForwardAsync(step, input), tokenBytes + ((input?.LongLength ?? 0) * sizeof(float)),
                o => o.Data.LongLength * sizeof(float))[0];
            CheckShards([s], [output]);
            hidden = output.Data;
        }

        var vocab = Args.VocabSize;
        if (hidden!.Length != step.Batch.Count * vocab)
        {
            throw new InvalidOperationException($"The last stage answered {hidden.Length} values, not {step.Batch.Count} × {vocab} logits.");
        }

        return Enumerable.Range(0, step.Batch.Count).Select(b => hidden.AsSpan(b * vocab, vocab).ToArray()).ToArray();
    }
}
