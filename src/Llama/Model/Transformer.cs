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
public sealed class Transformer : IDeviceSampledModel, IDisposable
{
    private readonly CpuForward? _cpuForward;
    private readonly IReadOnlyDictionary<Tensor, WeightType> _blockTypes;
    private readonly IReadOnlySet<Tensor> _panels;

    private Transformer(ModelArgs args, Tensor embeddings, TransformerBlock[] layers, RmsNorm norm, Tensor output,
        int maxSeqLen, int maxBatchSize, int kvBlocks, Device device, ScalarType type, int threads, EngineOptions options,
        IReadOnlyDictionary<Tensor, WeightType> blockTypes, IReadOnlySet<Tensor> panels)
    {
        _blockTypes = blockTypes;
        _panels = panels;
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
        Cache = new KvBlockPool(args, kvBlocks, options.KvBlockSize, options.ResolveKvCacheDType(type), device);
        if (device.type == DeviceType.CPU && type == ScalarType.Float32 && options.CpuKernels)
        {
            _cpuForward = new CpuForward(this, threads, options.CpuGemvMaxRows);
        }

        if (device.type == DeviceType.CUDA)
        {
            if (!options.CudaGraphs)
            {
                DecodeGraphsStatus = "off: EngineOptions.CudaGraphs is false";
            }
            else if (NativeCudaGraphs.TryLoad(out var reason) is { } graphs)
            {
                UseDecodeGraphs(graphs);
                DecodeGraphsStatus = $"on: {reason}";
            }
            else
            {
                DecodeGraphsStatus = $"off: {reason}";
            }
        }
    }

    /// <summary>How a weight matrix of this model is stored: F32 unless it holds rows of blocks for the CPU kernels.</summary>
    internal WeightType BlockTypeOf(Tensor weight) => _blockTypes.GetValueOrDefault(weight, WeightType.F32);

    /// <summary>Whether a block-stored matrix was repacked in <see cref="PanelMatrix"/> panels at load.</summary>
    internal bool InPanels(Tensor weight) => _panels.Contains(weight);

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

    /// <summary>Checks the shape and sizes, and resolves device, precision and CPU threads (set for libtorch) for a new model.</summary>
    private static (Device Device, ScalarType Type, int Threads) Prepare(ModelArgs args, int maxSeqLen, int maxBatchSize, EngineOptions options)
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

        return (device, type, threads);
    }

    /// <summary>Loads every weight of <paramref name="checkpoint"/>, checking shapes against its arguments.</summary>
    public static Transformer Load(ICheckpoint checkpoint, ModelArgs args, int maxSeqLen, int maxBatchSize, EngineOptions options)
    {
        var (device, type, threads) = Prepare(args, maxSeqLen, maxBatchSize, options);

        using var _ = no_grad();
        // Matrices stay in their blocks (or are quantized now) only where the engine's CPU kernels run the model.
        var blocks = device.type == DeviceType.CPU && type == ScalarType.Float32 && options.CpuKernels;
        if (options.Quantization is { } wanted && !blocks)
        {
            throw new ArgumentException(
                $"Quantization {wanted} runs on the engine's CPU kernels only: device cpu, dtype float32, CPU kernels on.");
        }

        var blockTypes = new Dictionary<Tensor, WeightType>(ReferenceEqualityComparer.Instance);
        var panels = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var shapes = new CheckedShapes(checkpoint, args);
        Tensor Weight(string name)
        {
            var shape = shapes.Check(name);
            if (shape.Length != 2 || !blocks)
            {
                return checkpoint.Load(name, type, device);
            }

            if (checkpoint.BlockType(name) is var stored && stored != WeightType.F32)
            {
                return Blocks(name, checkpoint.LoadBlocks(name), stored);
            }

            var weight = checkpoint.Load(name, type, device);
            if (options.Quantization is not { } quantization || shape[1] % quantization.BlockElements() != 0)
            {
                // A row that is no whole number of blocks stays float32, as llama.cpp's quantizer leaves such tensors.
                return weight;
            }

            using (weight)
            {
                return Blocks(name, QuantizedMatrix.From(weight, quantization), quantization);
            }
        }

        Tensor Blocks(string name, Tensor matrix, WeightType stored)
        {
            // The embedding table is read a row at a time by token, so it keeps its rows; every other matrix only
            // multiplies, in panels where the CPU has the kernels.
            if (name == TensorNames.TokEmbeddings || !PanelMatrix.Supports(stored, matrix.shape[0]))
            {
                blockTypes[matrix] = stored;
                return matrix;
            }

            using (matrix)
            {
                var packed = PanelMatrix.Pack(matrix, stored);
                blockTypes[packed] = stored;
                panels.Add(packed);
                return packed;
            }
        }

        var layers = Enumerable.Range(0, args.NLayers).Select(i => TransformerBlock.Create(args, i, Weight)).ToArray();
        var embeddings = Weight(TensorNames.TokEmbeddings);
        // A tied classifier is the same table: one copy in memory serves both.
        var output = checkpoint.TiedEmbeddings ? embeddings : Weight(TensorNames.Output);
        var kvBlocks = options.ResolveKvBlocks(args, options.ResolveKvCacheDType(type), device, maxSeqLen, maxBatchSize);
        return new Transformer(args, embeddings, layers, new RmsNorm(Weight(TensorNames.Norm), args.NormEps), output,
            maxSeqLen, maxBatchSize, kvBlocks, device, type, threads, options, blockTypes, panels);
    }

    /// <summary>
    /// A model of shape <paramref name="args"/> whose weights are drawn on its device from its generator seeded with
    /// <paramref name="seed"/> (normal, std <see cref="RandomWeightStd"/>; norms 1): a 7B-shape model to time on a GPU
    /// without a 13 GB file to move. The same seed, shape, device and precision give the same weights.
    /// </summary>
    public static Transformer Random(ModelArgs args, int maxSeqLen, int maxBatchSize, EngineOptions options, ulong seed)
    {
        var (device, type, threads) = Prepare(args, maxSeqLen, maxBatchSize, options);

        using var _ = no_grad();
        var weights = new RandomWeights(args, type, device, seed);
        var layers = Enumerable.Range(0, args.NLayers).Select(i => TransformerBlock.Create(args, i, weights.Next)).ToArray();
        var embeddings = weights.Next(TensorNames.TokEmbeddings);
        var output = weights.Next(TensorNames.Output);
        var kvBlocks = options.ResolveKvBlocks(args, type, device, maxSeqLen, maxBatchSize);
        return new Transformer(args, embeddings, layers, new RmsNorm(weights.Next(TensorNames.Norm), args.NormEps), output,
            maxSeqLen, maxBatchSize, kvBlocks, device, type, threads, options, new Dictionary<Tensor, WeightType>(), new HashSet<Tensor>());
    }

    /// <summary>Standard deviation of <see cref="Random"/>'s weights, as the bench's random llama2.c models.</summary>
    public const float RandomWeightStd = 0.02f;

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
        var flat = DeviceLogits(layout, allPositions).cpu().contiguous().data<float>().ToArray();
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

    /// <summary>On a GPU: sampling there brings back token ids instead of [sequences × vocab] logits.</summary>
    public bool SamplesOnDevice => Device.type != DeviceType.CPU;

    public SampledStep ForwardSampled(IReadOnlyList<SequenceInput> batch, IReadOnlyList<RowSampling> sampling)
    {
        if (sampling.Count != batch.Count)
        {
            throw new ArgumentException($"A step of {batch.Count} sequences needs {batch.Count} sampling rows, got {sampling.Count}.");
        }

        if (_cpuForward is not null)
        {
            // The engine's own CPU kernels return host logits: sample them where they are.
            return SampleOnHost(Forward(batch), sampling);
        }

        Validate(batch);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        if (batch.All(s => s.Tokens.Count == 1) && (SamplesOnDevice || DecodeGraphs is not null))
        {
            return Decode(batch, sampling);
        }

        using var layout = new BatchLayout(batch, Cache, Device);
        var logits = DeviceLogits(layout, allPositions: false);
        var tokens = DeviceSampler.Sample(logits, sampling).cpu().data<long>().ToArray().Select(t => (int)t).ToArray();
        var kept = new float[]?[batch.Count];
        var keep = Enumerable.Range(0, batch.Count).Where(b => sampling[b].KeepLogits).ToArray();
        if (keep.Length > 0)
        {
            // Only the rows that asked for log-probabilities cross to the host.
            var rows = logits.index_select(0, tensor(keep.Select(b => (long)b).ToArray(), device: Device)).cpu().contiguous().data<float>().ToArray();
            for (var i = 0; i < keep.Length; i++)
            {
                kept[keep[i]] = rows.AsSpan(i * Args.VocabSize, Args.VocabSize).ToArray();
            }
        }

        return new SampledStep(tokens, kept);
    }

    /// <summary>
    /// A decode step through its bucket's fixed buffers, replayed as a CUDA graph when <see cref="DecodeGraphs"/> is
    /// set: one transfer of inputs in, token ids (and the asked-for logits rows) out.
    /// </summary>
    private SampledStep Decode(IReadOnlyList<SequenceInput> batch, IReadOnlyList<RowSampling> sampling)
    {
        var bucket = DecodeBucket.For(batch.Count, batch.Max(s => s.EndPos), sampling.All(s => s.Temperature == 0),
            MaxBatchSize, Cache.BlockSize, BlocksPerSequence);
        if (!_decodes.TryGetValue(bucket, out var decode))
        {
            decode = new StaticDecode(this, bucket);
            _decodes[bucket] = decode;
        }

        decode.Load(batch, sampling);
        if (DecodeGraphs is { } graphs && ReplayGraphs)
        {
            graphs.Run(bucket, decode.Step);
        }
        else
        {
            decode.Step();
        }

        var tokens = decode.OutTokens.narrow(0, 0, batch.Count).cpu().data<long>().ToArray().Select(t => (int)t).ToArray();
        var kept = new float[]?[batch.Count];
        for (var b = 0; b < batch.Count; b++)
        {
            if (sampling[b].KeepLogits)
            {
                kept[b] = decode.OutLogits[b].cpu().data<float>().ToArray();
            }
        }

        return new SampledStep(tokens, kept);
    }

    private readonly Dictionary<DecodeBucket, StaticDecode> _decodes = [];

    /// <summary>The decode step's CUDA graphs, or null where decode runs eagerly.</summary>
    public DecodeGraphs? DecodeGraphs { get; private set; }

    /// <summary>With <see cref="DecodeGraphs"/>, whether decode steps replay them (false runs the same fixed steps eagerly, to compare).</summary>
    public bool ReplayGraphs { get; set; } = true;

    /// <summary>Why <see cref="DecodeGraphs"/> is on or off, for logs and benches.</summary>
    public string DecodeGraphsStatus { get; private set; } = "off: not a CUDA device";

    /// <summary>Replays decode steps through <paramref name="api"/> from now on (tests give a recording fake).</summary>
    public void UseDecodeGraphs(ICudaGraphApi api)
    {
        DecodeGraphs?.Dispose();
        DecodeGraphs = new DecodeGraphs(api, Device.index < 0 ? 0 : Device.index);
        DecodeGraphsStatus = $"on: {api.GetType().Name}";
    }

    private static SampledStep SampleOnHost(float[][] logits, IReadOnlyList<RowSampling> sampling)
    {
        using var _ = no_grad();
        using var rows = tensor(logits.SelectMany(l => l).ToArray(), [logits.Length, logits[0].Length]);
        using var tokens = DeviceSampler.Sample(rows, sampling);
        return new SampledStep(tokens.data<long>().ToArray().Select(t => (int)t).ToArray(),
            logits.Select((l, b) => sampling[b].KeepLogits ? l : null).ToArray());
    }

    /// <summary>Float32 logits on the device: of each sequence's last row, or of every row.</summary>
    internal Tensor DeviceLogits(BatchLayout layout, bool allPositions)
    {
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

        return F.linear(Norm.Forward(h), Output).to_type(ScalarType.Float32);
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
        DecodeGraphs?.Dispose();
        foreach (var decode in _decodes.Values)
        {
            decode.Dispose();
        }

        Cache.Dispose();
        _cpuForward?.Dispose();
    }
}
