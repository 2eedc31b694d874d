using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Llama.Checkpoints.Storage;
using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Checkpoints;

/// <summary>
/// A llama2.c <c>.bin</c> export, memory-mapped. Two layouts exist:
/// legacy (v0): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), where a
/// negative vocab_size means the classifier is stored separately; then float32 tensors in run.c's order,
/// with two unused RoPE tables before the classifier.
/// version 1: magic "ak42", int32 version, the same 7 int32, a shared-classifier byte, zero padding to
/// 256 bytes; then float32 tensors, norms first.
/// </summary>
public sealed class Llama2cCheckpoint : ICheckpoint
{
    private const uint Version1Magic = 0x616b3432;
    private const int Version1HeaderBytes = 256;
    private const int LegacyHeaderBytes = 7 * sizeof(int);

    private readonly MappedFile _file;
    private readonly TensorReader _reader = new();
    private readonly Dictionary<string, StoredTensor> _tensors;

    private Llama2cCheckpoint(string path, MappedFile file, ModelArgs args, Dictionary<string, (long Offset, long[] Shape)> layout, int version)
    {
        Path = path;
        _file = file;
        Args = args;
        _tensors = layout.ToDictionary(e => e.Key, e => new StoredTensor(file, e.Value.Offset, ScalarType.Float32, e.Value.Shape, e.Key));
        Version = version;
    }

    public string Path { get; }

    public CheckpointFormat Format => CheckpointFormat.Llama2c;

    public ModelArgs Args { get; }

    public ScalarType StoredType => ScalarType.Float32;

    /// <summary>0 for the legacy header, 1 for "ak42" exports.</summary>
    public int Version { get; }

    public IReadOnlyCollection<string> TensorNames => _tensors.Keys;

    /// <summary>A positive vocab_size in the header: the classifier is the embedding table.</summary>
    public bool TiedEmbeddings => _tensors[Checkpoints.TensorNames.Output].Offset == _tensors[Checkpoints.TensorNames.TokEmbeddings].Offset;

    public static Llama2cCheckpoint Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new CheckpointException($"Checkpoint file not found: {path}");
        }

        var length = new FileInfo(path).Length;
        if (length < LegacyHeaderBytes)
        {
            throw new CheckpointException(
                $"{path}: truncated llama2.c checkpoint: {length} bytes, shorter than the {LegacyHeaderBytes}-byte header.");
        }

        var file = MappedFile.Open(path);
        try
        {
            var version = Read<uint>(file, 0) == Version1Magic ? 1 : 0;
            var (args, tensors, expected) = version == 1 ? ReadVersion1(path, file) : ReadLegacy(path, file);
            if (length < expected)
            {
                throw new CheckpointException(
                    $"{path}: truncated llama2.c checkpoint: expected {expected} bytes for dim {args.Dim}, " +
                    $"{args.NLayers} layers, vocab {args.VocabSize}, but the file has {length} bytes.");
            }

            if (length > expected)
            {
                throw new CheckpointException(
                    $"{path}: inconsistent llama2.c checkpoint: expected {expected} bytes for dim {args.Dim}, " +
                    $"{args.NLayers} layers, vocab {args.VocabSize}, but the file has {length} bytes.");
            }

            return new Llama2cCheckpoint(path, file, args, tensors.Tensors(), version);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public long[] Shape(string name) => (long[])Entry(name).Shape.Clone();

    public Tensor Load(string name, ScalarType type, Device device) => _reader.Read(Entry(name), type, device);

    public void Dispose()
    {
        _reader.Dispose();
        _file.Dispose();
    }

    private StoredTensor Entry(string name) =>
        _tensors.TryGetValue(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'.");

    private static T Read<T>(MappedFile file, long offset)
        where T : unmanaged => MemoryMarshal.Read<T>(file.Span(offset, Unsafe.SizeOf<T>(), "the header"));

    private static Header ReadHeader(string path, MappedFile file, long offset)
    {
        var h = new Header(
            Read<int>(file, offset), Read<int>(file, offset + 4), Read<int>(file, offset + 8), Read<int>(file, offset + 12),
            Read<int>(file, offset + 16), Read<int>(file, offset + 20), Read<int>(file, offset + 24));
        if (h.Dim <= 0 || h.HiddenDim <= 0 || h.Layers <= 0 || h.Heads <= 0 || h.KvHeads <= 0 || h.Vocab == 0 ||
            h.SeqLen <= 0 || h.Dim % h.Heads != 0 || h.Heads % h.KvHeads != 0)
        {
            throw new CheckpointException(
                $"{path}: not a llama2.c checkpoint: header dim={h.Dim} hidden_dim={h.HiddenDim} n_layers={h.Layers} " +
                $"n_heads={h.Heads} n_kv_heads={h.KvHeads} vocab_size={h.Vocab} seq_len={h.SeqLen} is inconsistent.");
        }

        return h;
    }

    private static (ModelArgs, Layout, Int128) ReadLegacy(string path, MappedFile file)
    {
        var h = ReadHeader(path, file, 0);
        var shared = h.Vocab > 0;
        var vocab = Math.Abs(h.Vocab);
        var layout = new Layout(LegacyHeaderBytes);
        var headDim = h.Dim / h.Heads;
        var kvDim = headDim * h.KvHeads;

        layout.Add(Checkpoints.TensorNames.TokEmbeddings, vocab, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.AttentionNorm, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.Wq, h.Dim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.Wk, kvDim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.Wv, kvDim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.Wo, h.Dim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.FfnNorm, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.W1, h.HiddenDim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.W2, h.Dim, h.HiddenDim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.W3, h.HiddenDim, h.Dim);
        layout.Add(Checkpoints.TensorNames.Norm, h.Dim);
        layout.Skip(2L * h.SeqLen * (headDim / 2)); // freq_cis_real and freq_cis_imag, recomputed by the engine
        layout.AddClassifier(shared, vocab, h.Dim);
        return (h.ToArgs(vocab), layout, layout.End);
    }

    private static (ModelArgs, Layout, Int128) ReadVersion1(string path, MappedFile file)
    {
        if (file.Length < Version1HeaderBytes)
        {
            throw new CheckpointException(
                $"{path}: truncated llama2.c version-1 checkpoint: {file.Length} bytes, shorter than the {Version1HeaderBytes}-byte header.");
        }

        var version = Read<int>(file, 4);
        if (version != 1)
        {
            throw new CheckpointException(
                $"{path}: unsupported llama2.c export version {version}; only float32 version 1 and the legacy layout are read.");
        }

        var h = ReadHeader(path, file, 8);
        var shared = Read<byte>(file, 36) != 0;
        var vocab = Math.Abs(h.Vocab);
        var layout = new Layout(Version1HeaderBytes);
        var kvDim = h.Dim / h.Heads * h.KvHeads;

        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.AttentionNorm, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.FfnNorm, h.Dim);
        layout.Add(Checkpoints.TensorNames.Norm, h.Dim);
        layout.Add(Checkpoints.TensorNames.TokEmbeddings, vocab, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.Wq, h.Dim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.Wk, kvDim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.Wv, kvDim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.Wo, h.Dim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.W1, h.HiddenDim, h.Dim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.W2, h.Dim, h.HiddenDim);
        layout.AddPerLayer(h.Layers, Checkpoints.TensorNames.W3, h.HiddenDim, h.Dim);
        layout.AddClassifier(shared, vocab, h.Dim);
        return (h.ToArgs(vocab), layout, layout.End);
    }

    private readonly record struct Header(int Dim, int HiddenDim, int Layers, int Heads, int KvHeads, int Vocab, int SeqLen)
    {
        public ModelArgs ToArgs(int vocab) => new()
        {
            Dim = Dim,
            NLayers = Layers,
            NHeads = Heads,
            NKvHeads = KvHeads,
            VocabSize = vocab,
            ExplicitHiddenDim = HiddenDim,
            TrainedSeqLen = SeqLen,
        };
    }

    /// <summary>
    /// Consecutive float32 tensors. The header's numbers may be absurd, so the end is summed without overflow and
    /// the tensors get their byte offsets only once the file is known to be that long.
    /// </summary>
    private sealed class Layout(long start)
    {
        private readonly List<Group> _groups = [];
        private readonly List<(string Alias, string Of)> _aliases = [];

        public Int128 End { get; private set; } = start;

        public void Add(string name, params long[] shape) => Append(new Group(_ => name, 1, shape, 0));

        public void AddPerLayer(int layers, Func<int, string> name, params long[] shape) => Append(new Group(name, layers, shape, 0));

        public void AddClassifier(bool shared, int vocab, int dim)
        {
            if (shared)
            {
                _aliases.Add((Checkpoints.TensorNames.Output, Checkpoints.TensorNames.TokEmbeddings));
            }
            else
            {
                Add(Checkpoints.TensorNames.Output, vocab, dim);
            }
        }

        public void Skip(long floats) => End += (Int128)floats * sizeof(float);

        /// <summary>Every tensor's offset and shape; call only once <see cref="End"/> is known to match the file.</summary>
        public Dictionary<string, (long, long[])> Tensors()
        {
            var tensors = new Dictionary<string, (long, long[])>(StringComparer.Ordinal);
            foreach (var group in _groups)
            {
                var offset = (long)group.Start;
                var bytes = (long)Bytes(group.Shape);
                for (var layer = 0; layer < group.Count; layer++)
                {
                    tensors[group.Name(layer)] = (offset, group.Shape);
                    offset += bytes;
                }
            }

            foreach (var (alias, of) in _aliases)
            {
                tensors[alias] = tensors[of];
            }

            return tensors;
        }

        private static Int128 Bytes(long[] shape) => shape.Aggregate((Int128)sizeof(float), (a, b) => a * b);

        private void Append(Group group)
        {
            _groups.Add(group with { Start = End });
            End += Bytes(group.Shape) * group.Count;
        }

        private sealed record Group(Func<int, string> Name, int Count, long[] Shape, Int128 Start);
    }
}
