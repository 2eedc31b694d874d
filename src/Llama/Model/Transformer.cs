using Llama.Checkpoints;
using Llama.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Llama.Model;

/// <summary>
/// Meta's Transformer: token embeddings, <see cref="ModelArgs.NLayers"/> blocks, a final RMSNorm and
/// the output projection, with logits in float32. Runs ragged batches: every sequence brings its own
/// cache slot, start position and number of new tokens.
/// </summary>
public sealed class Transformer : IPagedModel, IDisposable
{
    private readonly CpuForward? _cpuForward;
    private readonly IReadOnlyDictionary<Tensor, WeightType> _blockTypes;

    private Transformer(ModelArgs args, Tensor embeddings, TransformerBlock[] layers, RmsNorm norm, Tensor output,
        int maxSeqLen, int maxBatchSize, int kvBlocks, Device device, ScalarType type, int threads, EngineOptions options,
        IReadOnlyDictionary<Tensor, WeightType> blockTypes)
    {
        _blockTypes = blockTypes;
        Args = args;
        Embeddings = embeddings;
        Layers = layers;
        Norm = norm;
        Output = output;
        Device = device;
        DType = type;
        Threads = threads;
        Rope = new RotaryEmbedding(args.HeadDim, maxSeqLen * 2, args.RopeTheta, device);
        MaxSeqLen = maxSeqLen;
        MaxBatchSize = maxBatchSize;
        Cache = new KvBlockPool(args, kvBlocks, options.KvBlockSize, type, device);
        if (device.type == DeviceType.CPU && type == ScalarType.Float32 && options.CpuKernels)
        {
            _cpuForward = new CpuForward(this, threads, options.CpuGemvMaxRows);
        }
    }

    /// <summary>How a weight matrix of this model is stored: F32 unless it holds rows of blocks for the CPU kernels.</summary>
    internal WeightType BlockTypeOf(Tensor weight) => _blockTypes.GetValueOrDefault(weight, WeightType.F32);

    public ModelArgs Args { get; }

    public Tensor Embeddings { get; }

    public IReadOnlyList<TransformerBlock> Layers { get; }

    public RmsNorm Norm { get; }

    public Tensor Output { get; }

    public RotaryEmbedding Rope { get; }

    public KvBlockPool Cache { get; }

    IKvBlockStore IPagedModel.KvCache => Cache;

    public Device Device { get; }

    public ScalarType DType { get; }

    public int Threads { get; }

    public int MaxSeqLen { get; }

    /// <summary>Most sequences one forward takes.</summary>
    public int MaxBatchSize { get; }

    /// <summary>KV blocks one sequence of <see cref="MaxSeqLen"/> positions needs.</summary>
    public int BlocksPerSequence => (MaxSeqLen + Cache.BlockSize - 1) / Cache.BlockSize;

    /// <summary>Loads every weight of <paramref name="checkpoint"/>, checking shapes against its arguments.</summary>
    public static Transformer Load(ICheckpoint checkpoint, ModelArgs args, int maxSeqLen, int maxBatchSize, EngineOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeqLen, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        args.Validate();
        var device = options.ResolveDevice();
        var type = options.ResolveDType(device);
        var threads = options.Threads ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (device.type == DeviceType.CPU)
        {
            set_num_threads(threads);
        }

        using var _ = no_grad();
        // Matrices stay in their blocks (or are quantized now) only where the engine's CPU kernels run the model.
        var blocks = device.type == DeviceType.CPU && type == ScalarType.Float32 && options.CpuKernels;
        if (options.Quantization is { } wanted && !blocks)
        {
            throw new ArgumentException(
                $"Quantization {wanted} runs on the engine's CPU kernels only: device cpu, dtype float32, CPU kernels on.");
        }

        var blockTypes = new Dictionary<Tensor, WeightType>(ReferenceEqualityComparer.Instance);
        Tensor Weight(string name, params long[] shape)
        {
            var actual = checkpoint.Shape(name);
            if (!actual.SequenceEqual(shape))
            {
                throw new CheckpointException(
                    $"{checkpoint.Path}: tensor '{name}' has shape [{string.Join(", ", actual)}], " +
                    $"but the model parameters imply [{string.Join(", ", shape)}].");
            }

            if (shape.Length != 2 || !blocks)
            {
                return checkpoint.Load(name, type, device);
            }

            if (checkpoint.BlockType(name) is var stored && stored != WeightType.F32)
            {
                var packed = checkpoint.LoadBlocks(name);
                blockTypes[packed] = stored;
                return packed;
            }

            var weight = checkpoint.Load(name, type, device);
            if (options.Quantization is not { } quantization || shape[1] % quantization.BlockElements() != 0)
            {
                // A row that is no whole number of blocks stays float32, as llama.cpp's quantizer leaves such tensors.
                return weight;
            }

            using (weight)
            {
                var quantized = QuantizedMatrix.From(weight, quantization);
                blockTypes[quantized] = quantization;
                return quantized;
            }
        }

        int dim = args.Dim, kvDim = args.KvHeads * args.HeadDim, hidden = args.HiddenDim, vocab = args.VocabSize;
        var layers = new TransformerBlock[args.NLayers];
        for (var i = 0; i < args.NLayers; i++)
        {
            layers[i] = new TransformerBlock(
                new Attention(args,
                    Weight(TensorNames.Wq(i), dim, dim), Weight(TensorNames.Wk(i), kvDim, dim),
                    Weight(TensorNames.Wv(i), kvDim, dim), Weight(TensorNames.Wo(i), dim, dim)),
                new FeedForward(
                    Weight(TensorNames.W1(i), hidden, dim), Weight(TensorNames.W2(i), dim, hidden),
                    Weight(TensorNames.W3(i), hidden, dim)),
                new RmsNorm(Weight(TensorNames.AttentionNorm(i), dim), args.NormEps),
                new RmsNorm(Weight(TensorNames.FfnNorm(i), dim), args.NormEps));
        }

        var embeddings = Weight(TensorNames.TokEmbeddings, vocab, dim);
        // A tied classifier is the same table: one copy in memory serves both.
        var output = checkpoint.TiedEmbeddings ? embeddings : Weight(TensorNames.Output, vocab, dim);
        var kvBlocks = options.ResolveKvBlocks(args, type, device, maxSeqLen, maxBatchSize);
        return new Transformer(args, embeddings, layers, new RmsNorm(Weight(TensorNames.Norm, dim), args.NormEps), output,
            maxSeqLen, maxBatchSize, kvBlocks, device, type, threads, options, blockTypes);
    }

    /// <summary>
    /// The fixed blocks of cache slot <paramref name="slot"/> when the pool is used as Meta's static cache:
    /// slot i owns <see cref="BlocksPerSequence"/> consecutive blocks.
    /// </summary>
    public IReadOnlyList<int> SlotBlocks(int slot)
    {
        var perSequence = BlocksPerSequence;
        if (slot < 0 || (long)(slot + 1) * perSequence > Cache.BlockCount)
        {
            throw new ArgumentException(
                $"Cache slot {slot} is outside the {Cache.BlockCount / perSequence} full-length sequences the KV cache holds.");
        }

        return Enumerable.Range(slot * perSequence, perSequence).ToArray();
    }

    /// <summary>
    /// Runs the new tokens of each sequence, caching their keys and values in its blocks, and returns float32
    /// logits per sequence: of its last token ([vocab]), or of every new token ([tokens × vocab]) when
    /// <paramref name="allPositions"/> is set.
    /// </summary>
    public float[][] Forward(IReadOnlyList<SequenceInput> batch, bool allPositions = false)
    {
        Validate(batch);
        if (_cpuForward is not null)
        {
            return _cpuForward.Forward(batch, allPositions);
        }

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var layout = new BatchLayout(batch, Cache, Device);
        var h = Embeddings.index_select(0, layout.Tokens);
        for (var i = 0; i < Layers.Count; i++)
        {
            h = Layers[i].Forward(h, layout, Rope, Cache.Keys[i], Cache.Values[i]);
        }

        if (!allPositions)
        {
            // Only each sequence's last token feeds sampling: normalize and project just those rows.
            h = h.index_select(0, layout.LastRows);
        }

        var logits = F.linear(Norm.Forward(h), Output).to_type(ScalarType.Float32).cpu().contiguous();
        var flat = logits.data<float>().ToArray();
        var vocab = Args.VocabSize;
        var result = new float[batch.Count][];
        for (int b = 0, row = 0; b < batch.Count; b++)
        {
            var rows = allPositions ? layout.Lengths[b] : 1;
            result[b] = flat.AsSpan(row * vocab, rows * vocab).ToArray();
            row += rows;
        }

        return result;
    }

    float[][] IPagedModel.Forward(IReadOnlyList<SequenceInput> batch) => Forward(batch);

    private void Validate(IReadOnlyList<SequenceInput> batch) => BatchValidation.Check(batch, MaxBatchSize, MaxSeqLen, Cache, Args.VocabSize);

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }

        Embeddings.Dispose();
        Norm.Dispose();
        if (!ReferenceEquals(Output, Embeddings))
        {
            Output.Dispose();
        }
        Rope.Dispose();
        Cache.Dispose();
        _cpuForward?.Dispose();
    }
}
