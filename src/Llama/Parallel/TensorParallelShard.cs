using Llama.Checkpoints;
using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Parallel;

/// <summary>
/// One rank of a Meta checkpoint's model-parallel cut, loaded from its own <c>consolidated.NN.pth</c> alone: the
/// embedding's columns dim/ranks, its share of the attention heads (wq, wk, wv rows; wo columns) with a KV pool for
/// just its KV heads, its share of the FFN (w1, w3 rows; w2 columns), the replicated norms and its rows of the output
/// projection. Runs the calls of <see cref="ITensorParallelRank"/> one step at a time.
/// </summary>
public sealed class TensorParallelShard : ModelShard, ITensorParallelRank
{
    private BatchLayout? _layout;
    private long _step = -1;

    private TensorParallelShard(ModelArgs args, int rank, int ranks, ShardWeights weights, KvLayout layout, ScalarType type, Device device)
        : base(args, weights, args.KvHeads / ranks, layout, type, device)
    {
        Rank = rank;
        Ranks = ranks;
    }

    public int Rank { get; }

    /// <summary>Number of ranks the checkpoint is cut into.</summary>
    public int Ranks { get; }

    /// <summary>
    /// Loads rank <paramref name="rank"/> of the Meta checkpoint in <paramref name="path"/> without reading the other
    /// shards. Its KV pool gets the blocks <paramref name="options"/> give its share of the KV heads; the coordinator
    /// computes the same number with <see cref="KvBlocks"/>.
    /// </summary>
    public static TensorParallelShard Load(string path, int rank, int maxSeqLen, int maxBatchSize, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var shard = MetaCheckpoint.OpenShard(path, rank);
        var args = shard.Args;
        if (args.VocabSize < 0)
        {
            // The embedding is cut by columns: every rank holds all of its rows, one per token.
            args = args with { VocabSize = (int)shard.Shape(TensorNames.TokEmbeddings)[0] };
        }

        var device = options.ResolveDevice();
        var type = options.ResolveDType(device);
        return Build(args, rank, shard.ShardCount, shard.Path, name => shard.Load(name, type, device), maxSeqLen, maxBatchSize, options);
    }

    /// <summary>
    /// Cuts rank <paramref name="rank"/> of <paramref name="ranks"/> out of a whole checkpoint (any format), exactly as
    /// fairscale cuts Meta's shards (<see cref="MetaShardLayout"/>): for models that do not come as Meta shards, or come
    /// in another number of them.
    /// </summary>
    public static TensorParallelShard Cut(ICheckpoint checkpoint, ModelArgs args, int rank, int ranks, int maxSeqLen, int maxBatchSize, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, ranks);
        var device = options.ResolveDevice();
        var type = options.ResolveDType(device);
        Tensor Slice(string name)
        {
            var stored = name == TensorNames.Output && checkpoint.TiedEmbeddings ? TensorNames.TokEmbeddings : name;
            using var full = checkpoint.Load(stored, type, device);
            if (MetaShardLayout.SplitDimension(name) is not { } dim)
            {
                return full.clone();
            }

            var size = full.shape[dim] / ranks;
            using var slice = full.narrow(dim, rank * size, size);
            // A copy of just the slice, so the whole tensor is freed.
            return slice.contiguous().clone();
        }

        return Build(args, rank, ranks, checkpoint.Path, Slice, maxSeqLen, maxBatchSize, options);
    }

    private static TensorParallelShard Build(ModelArgs args, int rank, int ranks, string path, Func<string, Tensor> load, int maxSeqLen, int maxBatchSize,
        EngineOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeqLen, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        args.Validate();
        CheckDivisible(args, ranks, path);
        var device = options.ResolveDevice();
        var type = options.ResolveDType(device);
        var kvType = options.ResolveKvCacheDType(type);
        using var _ = no_grad();
        var layers = Enumerable.Range(0, args.NLayers).Select(i => TransformerBlock.Create(args, i, load)).ToArray();
        var layout = KvLayoutOf(options, args, ranks, kvType, device, maxSeqLen, maxBatchSize);
        var weights = new ShardWeights(layers, load(TensorNames.TokEmbeddings), new RmsNorm(load(TensorNames.Norm), args.NormEps), load(TensorNames.Output));
        return new TensorParallelShard(args, rank, ranks, weights, layout, type, device);
    }

    /// <summary>The KV layout of every rank, and so of their coordinator: the budget of <paramref name="options"/> applies to each rank.</summary>
    public static KvLayout KvLayoutOf(EngineOptions options, ModelArgs args, int ranks, ScalarType kvType, Device device, int maxSeqLen, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(args);
        var blocks = options.ResolveKvBlocks(args with { NKvHeads = args.KvHeads / ranks }, kvType, device, maxSeqLen, maxBatchSize);
        return new KvLayout(maxSeqLen, maxBatchSize, blocks, options.KvBlockSize, kvType);
    }

    public Task<ShardOutput> BeginAsync(ShardStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        lock (Lock)
        {
            using var _ = no_grad();
            Begin(step);

            _layout?.Dispose();
            _layout = new BatchLayout(step.Batch, Pool, Device);
            _step = step.Step;
            using var columns = Weights.Embeddings!.index_select(0, _layout.Tokens);
            return Task.FromResult(Answer(Activations.ToArray(columns)));
        }
    }

    public Task<float[]> AttentionAsync(long step, int layer, float[] hidden) => Run(step, layer, hidden, (block, x, layout) =>
    {
        using var normed = block.AttentionNorm.Forward(x);
        return block.Attention.Forward(normed, layout, Rope, Pool.Keys[layer], Pool.Values[layer]);
    });

    public Task<float[]> FeedForwardAsync(long step, int layer, float[] hidden) => Run(step, layer, hidden, (block, x, _) =>
    {
        using var normed = block.FfnNorm.Forward(x);
        return block.FeedForward.Forward(normed);
    });

    public Task<float[]> LogitsAsync(long step, float[] hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        lock (Lock)
        {
            CheckStep(step);
            using var _ = no_grad();
            using var x = Activations.ToTensor(hidden, hidden.Length / Args.Dim, Args.Dim, DType, Device);
            using var logits = Weights.Logits(x);
            return Task.FromResult(Activations.ToArray(logits));
        }
    }

    private Task<float[]> Run(long step, int layer, float[] hidden, Func<TransformerBlock, Tensor, BatchLayout, Tensor> compute)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, Weights.Layers.Length);
        lock (Lock)
        {
            var layout = CheckStep(step);
            using var _ = no_grad();
            using var x = Activations.ToTensor(hidden, layout.Rows, Args.Dim, DType, Device);
            using var partial = compute(Weights.Layers[layer], x, layout);
            return Task.FromResult(Activations.ToArray(partial));
        }
    }

    private BatchLayout CheckStep(long step) =>
        step == _step && _layout is not null
            ? _layout
            : throw new InvalidOperationException($"Rank {Rank} is at step {_step}, not {step}: a step begins with BeginAsync.");

    private static void CheckDivisible(ModelArgs args, int ranks, string path)
    {
        if (args.NHeads % ranks != 0 || args.KvHeads % ranks != 0 || args.Dim % ranks != 0 || args.HiddenDim % ranks != 0 || args.VocabSize % ranks != 0)
        {
            throw new CheckpointException(
                $"{path}: {ranks} model-parallel ranks do not divide the model evenly (heads {args.NHeads}, KV heads {args.KvHeads}, " +
                $"dim {args.Dim}, FFN {args.HiddenDim}, vocabulary {args.VocabSize}).");
        }
    }

    private protected override void DisposeState() => _layout?.Dispose();
}
