using Llama.Checkpoints.Gguf;
using Llama.Checkpoints.Storage;
using Llama.Kernels;
using Llama.Model;
using Llama.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Checkpoints;

/// <summary>
/// A llama.cpp GGUF file (version 2 or 3, <c>general.architecture = llama</c>), memory-mapped: architecture from the
/// <c>llama.*</c> metadata, the SentencePiece vocabulary from <c>tokenizer.ggml.*</c>, tensors under Meta's names.
/// llama.cpp's converters write wq and wk in Meta's original row order (they undo Hugging Face's rotate_half
/// permutation, and its rotary embedding for llama pairs adjacent elements as Meta's), so no rows are reordered here.
/// Matrices stored in blocks (16-bit and quantized types) come out as they are through <see cref="LoadBlocks"/>, as views
/// of the file that libtorch maps itself (so they outlive this checkpoint, and the weights are resident once: as the
/// file's pages, never copied); <see cref="Load"/> expands any tensor to floats for the paths that need them, and gives
/// a tensor already stored in the wanted CPU type (llama.cpp's K-quant files keep a float32 classifier) as such a view too.
/// </summary>
public sealed class GgufCheckpoint : ICheckpoint
{
    private const string MetadataSource = "the GGUF metadata";

    private readonly MappedFile _file;
    private readonly Dictionary<string, GgufTensorInfo> _tensors;
    private readonly TensorReader _reader = new();
    private readonly Lock _mappingsLock = new();

    /// <summary>
    /// The whole file as a tensor of each element type asked for (uint8 for blocks, the float types for tensors stored
    /// as such), each over libtorch's own private, read-only-used mapping; made on first use.
    /// </summary>
    private readonly Dictionary<ScalarType, Tensor> _mappings = [];

    private GgufCheckpoint(string path, MappedFile file, GgufFile gguf, ModelArgs args, Dictionary<string, GgufTensorInfo> tensors, ITokenizer tokenizer)
    {
        Path = path;
        _file = file;
        _tensors = tensors;
        Version = gguf.Version;
        Args = args;
        Tokenizer = tokenizer;
        TiedEmbeddings = !tensors.ContainsKey(Checkpoints.TensorNames.Output);
        TensorNames = [.. tensors.Keys, .. TiedEmbeddings && tensors.ContainsKey(Checkpoints.TensorNames.TokEmbeddings) ? [Checkpoints.TensorNames.Output] : Array.Empty<string>()];
        WeightTypes = tensors.Values.GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteLength)).Select(g => g.Key).ToList();
    }

    public string Path { get; }

    public CheckpointFormat Format => CheckpointFormat.Gguf;

    /// <summary>The GGUF version: 2 or 3.</summary>
    public uint Version { get; }

    public ModelArgs Args { get; }

    /// <summary>Float32 when the matrices are float32; otherwise the float type libtorch would need to hold them unexpanded.</summary>
    public ScalarType StoredType => WeightTypes[0] switch
    {
        WeightType.F16 => ScalarType.Float16,
        WeightType.BF16 => ScalarType.BFloat16,
        _ => ScalarType.Float32,
    };

    /// <summary>The block types present, most bytes first.</summary>
    public IReadOnlyList<WeightType> WeightTypes { get; }

    public IReadOnlyCollection<string> TensorNames { get; }

    /// <summary>llama.cpp leaves out output.weight when the classifier is the embedding table.</summary>
    public bool TiedEmbeddings { get; }

    public ITokenizer Tokenizer { get; }

    /// <summary>Opens and checks the file at <paramref name="path"/>.</summary>
    public static GgufCheckpoint Open(string path)
    {
        var checkpoint = OpenUnchecked(path);
        try
        {
            CheckpointConsistency.ThrowIfAny(CheckpointConsistency.Check(checkpoint, MetadataSource), checkpoint.Path);
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Opens without checking tensors against the metadata (the inspector reports problems instead).</summary>
    internal static GgufCheckpoint OpenUnchecked(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new CheckpointException($"Checkpoint file not found: {path}");
        }

        var file = MappedFile.Open(path);
        try
        {
            var gguf = GgufFile.Read(file);
            var metadata = new GgufMetadata(gguf.Metadata, file.Name);
            var architecture = metadata.String("general.architecture");
            if (architecture != "llama")
            {
                throw new CheckpointException($"{file.Name}: general.architecture is \"{architecture}\"; only \"llama\" is supported.");
            }

            var tensors = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
            foreach (var tensor in gguf.Tensors)
            {
                if (GgufNames.ToMeta(tensor.Name) is { } name)
                {
                    tensors[name] = tensor;
                }
            }

            var tokenizer = GgufVocabulary.Read(metadata, path);
            if (tensors.TryGetValue(Checkpoints.TensorNames.TokEmbeddings, out var embeddings) && embeddings.Shape[0] != tokenizer.VocabSize)
            {
                throw new CheckpointException(
                    $"{file.Name}: {embeddings.Name} has {embeddings.Shape[0]} rows but the vocabulary has {tokenizer.VocabSize} tokens.");
            }

            return new GgufCheckpoint(path, file, gguf, ReadArgs(metadata, tensors, tokenizer), tensors, tokenizer);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public long[] Shape(string name) => (long[])Entry(name).Shape.Clone();

    public WeightType BlockType(string name) => Entry(name).Type;

    /// <summary>
    /// A view of the file's mapping: the storage it shares with every other matrix keeps the mapping alive after this
    /// checkpoint is disposed, until the last matrix is.
    /// </summary>
    public Tensor LoadBlocks(string name)
    {
        var info = Entry(name);
        _file.CheckRange(info.Offset, info.ByteLength, $"data of tensor '{info.Name}'");
        using var bytes = Mapping(ScalarType.Byte, 1).narrow(0, info.Offset, info.ByteLength);
        return bytes.view(info.Rows, info.Type.RowBytes(info.Columns));
    }

    public unsafe Tensor Load(string name, ScalarType type, Device device)
    {
        var info = Entry(name);
        var stored = info.Type switch
        {
            WeightType.F32 => ScalarType.Float32,
            WeightType.F16 => ScalarType.Float16,
            WeightType.BF16 => ScalarType.BFloat16,
            _ => (ScalarType?)null,
        };
        if (stored is { } s)
        {
            var size = StoredTypes.ElementSize(s);
            if (s == type && device.type == DeviceType.CPU && info.Offset % size == 0)
            {
                // Already what the caller wants: a view of the file's pages, resident once and only where read, never a copy.
                _file.CheckRange(info.Offset, info.ByteLength, $"data of tensor '{info.Name}'");
                using var elements = Mapping(s, size).narrow(0, info.Offset / size, info.ByteLength / size);
                return elements.view(info.Shape);
            }

            return _reader.Read(new StoredTensor(_file, info.Offset, s, info.Shape, info.Name), type, device);
        }

        // Quantized blocks expand to float32 row by row, then take the requested type and device.
        var rowBytes = info.Type.RowBytes(info.Columns);
        var data = _file.Pointer(info.Offset, info.ByteLength, $"data of tensor '{info.Name}'");
        var floats = empty(info.Shape, ScalarType.Float32, CPU);
        try
        {
            var target = (float*)TensorReader.DataPointer(floats);
            var columns = (int)info.Columns;
            for (long r = 0; r < info.Rows; r++)
            {
                Dequantize.Row(info.Type, new ReadOnlySpan<byte>(data + (r * rowBytes), (int)rowBytes), new Span<float>(target + (r * columns), columns));
            }

            if (type == ScalarType.Float32 && device.type == DeviceType.CPU)
            {
                return floats;
            }

            using (floats)
            {
                return floats.to(type, device);
            }
        }
        catch
        {
            floats.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        lock (_mappingsLock)
        {
            foreach (var mapping in _mappings.Values)
            {
                mapping.Dispose();
            }

            _mappings.Clear();
        }

        _reader.Dispose();
        _file.Dispose();
    }

    /// <summary>The file as elements of <paramref name="type"/> (<paramref name="size"/> bytes each), as far as whole elements reach.</summary>
    private Tensor Mapping(ScalarType type, int size)
    {
        lock (_mappingsLock)
        {
            if (!_mappings.TryGetValue(type, out var mapping))
            {
                mapping = from_file(Path, shared: false, size: _file.Length / size, dtype: type);
                _mappings[type] = mapping;
            }

            return mapping;
        }
    }

    private GgufTensorInfo Entry(string name) =>
        _tensors.TryGetValue(name, out var entry) ? entry
        : name == Checkpoints.TensorNames.Output && TiedEmbeddings && _tensors.TryGetValue(Checkpoints.TensorNames.TokEmbeddings, out var embeddings) ? embeddings
        : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'.");

    private static ModelArgs ReadArgs(GgufMetadata metadata, Dictionary<string, GgufTensorInfo> tensors, ITokenizer tokenizer)
    {
        var heads = metadata.Int("llama.attention.head_count");
        return new ModelArgs
        {
            Dim = metadata.Int("llama.embedding_length"),
            NLayers = metadata.Int("llama.block_count"),
            NHeads = heads,
            NKvHeads = metadata.Int("llama.attention.head_count_kv", heads),
            ExplicitHiddenDim = metadata.Int("llama.feed_forward_length"),
            NormEps = metadata.Double("llama.attention.layer_norm_rms_epsilon", 1e-5),
            RopeTheta = metadata.Double("llama.rope.freq_base", 10000),
            TrainedSeqLen = metadata.Has("llama.context_length") ? metadata.Int("llama.context_length") : null,
            VocabSize = tensors.TryGetValue(Checkpoints.TensorNames.TokEmbeddings, out var embeddings) ? (int)embeddings.Shape[0] : tokenizer.VocabSize,
        };
    }
}
