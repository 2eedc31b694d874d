using Llama.Checkpoints;
using Llama.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Llama.Parallel;

/// <summary>
/// One stage of a pipeline split: layers [<see cref="FirstLayer"/>, <see cref="EndLayer"/>) of a whole model (any
/// checkpoint format; Meta's shards merged), with a KV pool for just those layers, the embeddings on the first stage
/// and the final norm and output projection on the last.
/// </summary>
public sealed class PipelineStage : IPipelineStage, IDisposable
{
    private readonly object _lock = new();
    private readonly TransformerBlock[] _layers;
    private readonly Tensor? _embeddings;
    private readonly RmsNorm? _norm;
    private readonly Tensor? _output;
    private readonly RotaryEmbedding _rope;
    private readonly CoordinatedPool _coordinated;

    private PipelineStage(ModelArgs args, int stage, int stages, int firstLayer, TransformerBlock[] layers, Tensor? embeddings, RmsNorm? norm, Tensor? output,
        int maxSeqLen, int maxBatchSize, int kvBlocks, int kvBlockSize, ScalarType type, ScalarType kvType, Device device)
    {
        Args = args;
        Stage = stage;
        Stages = stages;
        FirstLayer = firstLayer;
        _layers = layers;
        _embeddings = embeddings;
        _norm = norm;
        _output = output;
        MaxSeqLen = maxSeqLen;
        DType = type;
        Device = device;
        _rope = new RotaryEmbedding(args.HeadDim, maxSeqLen * 2, args.RopeTheta, device);
        Pool = new KvBlockPool(layers.Length, args.KvHeads, args.HeadDim, kvBlocks, kvBlockSize, kvType, device);
        _coordinated = new CoordinatedPool(Pool, _rope, maxBatchSize, maxSeqLen, args.VocabSize);
    }

    public ModelArgs Args { get; }

    public int Stage { get; }

    public int Stages { get; }

    public int FirstLayer { get; }

    public int EndLayer => FirstLayer + _layers.Length;

    public int MaxSeqLen { get; }

    public ScalarType DType { get; }

    public Device Device { get; }

    public KvBlockPool Pool { get; }

    /// <inheritdoc cref="CoordinatedPool.Id"/>
    public Guid PoolId => _coordinated.Id;

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
        Tensor Weight(string name, params long[] shape)
        {
            var actual = checkpoint.Shape(name);
            if (!actual.SequenceEqual(shape))
            {
                throw new CheckpointException(
                    $"{checkpoint.Path}: tensor '{name}' has shape [{string.Join(", ", actual)}], but the model parameters imply [{string.Join(", ", shape)}].");
            }

            return checkpoint.Load(name, type, device);
        }

        int dim = args.Dim, kvDim = args.KvHeads * args.HeadDim, hidden = args.HiddenDim, vocab = args.VocabSize;
        var layers = new TransformerBlock[end - first];
        for (var i = first; i < end; i++)
        {
            layers[i - first] = new TransformerBlock(
                new Attention(args, Weight(TensorNames.Wq(i), dim, dim), Weight(TensorNames.Wk(i), kvDim, dim),
                    Weight(TensorNames.Wv(i), kvDim, dim), Weight(TensorNames.Wo(i), dim, dim)),
                new FeedForward(Weight(TensorNames.W1(i), hidden, dim), Weight(TensorNames.W2(i), dim, hidden), Weight(TensorNames.W3(i), hidden, dim)),
                new RmsNorm(Weight(TensorNames.AttentionNorm(i), dim), args.NormEps),
                new RmsNorm(Weight(TensorNames.FfnNorm(i), dim), args.NormEps));
        }

        var last = stage == stages - 1;
        var embeddings = stage == 0 ? Weight(TensorNames.TokEmbeddings, vocab, dim) : null;
        var output = !last ? null
            : checkpoint.TiedEmbeddings ? embeddings ?? Weight(TensorNames.TokEmbeddings, vocab, dim)
            : Weight(TensorNames.Output, vocab, dim);
        var norm = last ? new RmsNorm(Weight(TensorNames.Norm, dim), args.NormEps) : null;
        return new PipelineStage(args, stage, stages, first, layers, embeddings, norm, output, maxSeqLen, maxBatchSize,
            KvBlocks(options, args, stages, kvType, device, maxSeqLen, maxBatchSize), options.KvBlockSize, type, kvType, device);
    }

    /// <summary>
    /// KV blocks every stage's pool gets: the budget of <paramref name="options"/> applies to each stage, and all take the
    /// count of the stage with the most layers, so every block table fits every pool.
    /// </summary>
    public static int KvBlocks(EngineOptions options, ModelArgs args, int stages, ScalarType kvType, Device device, int maxSeqLen, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(args);
        var most = Enumerable.Range(0, stages).Max(s => Layers(args.NLayers, stages, s) is var (f, e) ? e - f : 0);
        return options.ResolveKvBlocks(args with { NLayers = most }, kvType, device, maxSeqLen, maxBatchSize);
    }

    public Task<ShardOutput> ForwardAsync(ShardStep step, float[]? hidden)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (First != (hidden is null))
        {
            throw new ArgumentException(First ? "The first stage starts from the tokens: it takes no activations." : $"Stage {Stage} needs the previous stage's activations.", nameof(hidden));
        }

        lock (_lock)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            _coordinated.Begin(step);

            using var layout = new BatchLayout(step.Batch, Pool, Device);
            var h = hidden is null ? _embeddings!.index_select(0, layout.Tokens) : Activations.ToTensor(hidden, layout.Rows, Args.Dim, DType, Device);
            for (var i = 0; i < _layers.Length; i++)
            {
                h = _layers[i].Forward(h, layout, _rope, Pool.Keys[i], Pool.Values[i]);
            }

            if (Last)
            {
                h = F.linear(_norm!.Forward(h.index_select(0, layout.LastRows)), _output!);
            }

            return Task.FromResult(new ShardOutput(PoolId, Activations.ToArray(h)));
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var layer in _layers)
            {
                layer.Dispose();
            }

            _norm?.Dispose();
            if (_output is not null && !ReferenceEquals(_output, _embeddings))
            {
                _output.Dispose();
            }

            _embeddings?.Dispose();
            _rope.Dispose();
            Pool.Dispose();
        }
    }
}
