using Llama.Checkpoints;
using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Parallel;

/// <summary>
/// One stage of a pipeline split: layers [<see cref="FirstLayer"/>, <see cref="EndLayer"/>) of a whole model (any
/// checkpoint format; Meta's shards merged), with a KV pool for just those layers, the embeddings on the first stage
/// and the final norm and output projection on the last.
/// </summary>
public sealed class PipelineStage : ModelShard, IPipelineStage
{
    private PipelineStage(ModelArgs args, int stage, int stages, int firstLayer, ShardWeights weights, KvLayout layout, ScalarType type, Device device)
        : base(args, weights, args.KvHeads, layout, type, device)
    {
        Stage = stage;
        Stages = stages;
        FirstLayer = firstLayer;
    }

    public int Stage { get; }

    public int Stages { get; }

    public int FirstLayer { get; }

    public int EndLayer => FirstLayer + Weights.Layers.Length;

    private bool First => Stage == 0;

    private bool Last => Stage == Stages - 1;

    /// <summary>The layers stage <paramref name="stage"/> of <paramref name="stages"/> runs: consecutive, as even as they divide.</summary>
    public static (int First, int End) Layers(int layers, int stages, int stage)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stages, 1);
        if (stages > layers)
        {
            throw new ArgumentException($"{stages} pipeline stages need at least as many layers; the model has {layers}.", nameof(stages));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(stage);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stage, stages);
        return ((int)((long)layers * stage / stages), (int)((long)layers * (stage + 1) / stages));
    }

    /// <summary>Loads stage <paramref name="stage"/> of <paramref name="stages"/> from an opened checkpoint, reading only its tensors.</summary>
    public static PipelineStage Load(ICheckpoint checkpoint, ModelArgs args, int stage, int stages, int maxSeqLen, int maxBatchSize, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeqLen, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        args.Validate();
        var (first, end) = Layers(args.NLayers, stages, stage);
        var device = options.ResolveDevice();
        var type = options.ResolveDType(device);
        var kvType = options.ResolveKvCacheDType(type);
        using var _ = no_grad();
        var shapes = new CheckedShapes(checkpoint, args);
        Tensor Weight(string name)
        {
            shapes.Check(name);
            return checkpoint.Load(name, type, device);
        }

        var layers = Enumerable.Range(first, end - first).Select(i => TransformerBlock.Create(args, i, Weight)).ToArray();
        var last = stage == stages - 1;
        var embeddings = stage == 0 ? Weight(TensorNames.TokEmbeddings) : null;
        var output = !last ? null
            : checkpoint.TiedEmbeddings ? embeddings ?? Weight(TensorNames.TokEmbeddings)
            : Weight(TensorNames.Output);
        var norm = last ? new RmsNorm(Weight(TensorNames.Norm), args.NormEps) : null;
        var layout = KvLayoutOf(options, args, stages, kvType, device, maxSeqLen, maxBatchSize);
        return new PipelineStage(args, stage, stages, first, new ShardWeights(layers, embeddings, norm, output), layout, type, device);
    }

    /// <summary>
    /// The KV layout of every stage, and so of their coordinator: the budget of <paramref name="options"/> applies to each
    /// stage, and all take the block count of the stage with the most layers, so every block table fits every pool.
    /// </summary>
    public static KvLayout KvLayoutOf(EngineOptions options, ModelArgs args, int stages, ScalarType kvType, Device device, int maxSeqLen, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(args);
        var most = Enumerable.Range(0, stages).Max(s => Layers(args.NLayers, stages, s) is var (f, e) ? e - f : 0);
        var blocks = options.ResolveKvBlocks(args with { NLayers = most }, kvType, device, maxSeqLen, maxBatchSize);
        return new KvLayout(maxSeqLen, maxBatchSize, blocks, options.KvBlockSize, kvType);
    }

    public Task<ShardOutput> ForwardAsync(ShardStep step, float[]? hidden)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (First != (hidden is null))
        {
            throw new ArgumentException(First ? "The first stage starts from the tokens: it takes no activations." : $"Stage {Stage} needs the previous stage's activations.", nameof(hidden));
        }

        lock (Lock)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            Begin(step);

            using var layout = new BatchLayout(step.Batch, Pool, Device);
            var h = hidden is null ? Weights.Embeddings!.index_select(0, layout.Tokens) : Activations.ToTensor(hidden, layout.Rows, Args.Dim, DType, Device);
            for (var i = 0; i < Weights.Layers.Length; i++)
            {
                h = Weights.Layers[i].Forward(h, layout, Rope, Pool.Keys[i], Pool.Values[i]);
            }

            if (Last)
            {
                h = Weights.Logits(h.index_select(0, layout.LastRows));
            }

            return Task.FromResult(Answer(Activations.ToArray(h)));
        }
    }
}
