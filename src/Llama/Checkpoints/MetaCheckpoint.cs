using Llama.Checkpoints.Pth;
using Llama.Checkpoints.Storage;
using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Checkpoints;

/// <summary>
/// Meta's download layout: <c>params.json</c> and model-parallel shards <c>consolidated.NN.pth</c>,
/// merged on load exactly as fairscale split them (see <see cref="MetaShardLayout"/>). Tensors are
/// copied from memory-mapped shards straight into their destination.
/// </summary>
public sealed class MetaCheckpoint : ICheckpoint
{
    /// <summary>Meta's checkpoints carry the RoPE frequencies, which model.py recomputes and ignores.</summary>
    internal const string RopeFreqs = "rope.freqs";

    private readonly TensorFile[] _shards;
    private readonly TensorReader _reader = new();
    private readonly Dictionary<string, long[]> _shapes;

    private MetaCheckpoint(string folder, ModelArgs args, TensorFile[] shards)
    {
        Path = folder;
        Args = args;
        _shards = shards;
        var first = shards[0];
        CheckShardsAgree(shards);
        var names = first.Tensors.Keys.Where(n => n != RopeFreqs).ToList();
        _shapes = names.ToDictionary(n => n, MergedShape, StringComparer.Ordinal);
        TensorNames = names;
        StoredType = StoredTypes.Predominant(names.Select(n => first.Tensors[n]));
    }

    public string Path { get; }

    public CheckpointFormat Format => CheckpointFormat.MetaPth;

    public ModelArgs Args { get; }

    public ScalarType StoredType { get; }

    public IReadOnlyCollection<string> TensorNames { get; }

    /// <summary>Number of model-parallel shards merged.</summary>
    public int ShardCount => _shards.Length;

    /// <summary>The shard files, by rank.</summary>
    public IReadOnlyList<string> ShardPaths => _shards.Select(s => s.Path).ToList();

    /// <summary>Opens and merges every shard of the checkpoint in <paramref name="path"/> (its folder, or a file in it).</summary>
    public static MetaCheckpoint Open(string path)
    {
        var checkpoint = OpenUnchecked(path);
        try
        {
            CheckpointConsistency.ThrowIfAny(CheckpointConsistency.Check(checkpoint, MetaParams.FileName), checkpoint.Path);
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens only shard <paramref name="rank"/>, as one model-parallel rank needs it, without reading the
    /// other shards (their number comes from the folder listing).
    /// </summary>
    public static MetaCheckpointShard OpenShard(string path, int rank) => MetaCheckpointShard.Open(path, rank);

    public long[] Shape(string name) => (long[])Known(name).Clone();

    public Tensor Load(string name, ScalarType type, Device device)
    {
        var shape = Known(name);
        var parts = _shards.Select(s => s.Tensors[name]).ToList();
        if (_shards.Length == 1 || MetaShardLayout.SplitDimension(name) is not { } dim)
        {
            return _reader.Read(parts[0], type, device);
        }

        return _reader.Read(shape, parts[0].Type, type, device, ByteSegments.Concatenation(parts, dim));
    }

    public void Dispose()
    {
        _reader.Dispose();
        foreach (var shard in _shards)
        {
            shard.Dispose();
        }
    }

    /// <summary>Opens without checking tensors against params.json (the inspector reports problems instead).</summary>
    internal static MetaCheckpoint OpenUnchecked(string path)
    {
        var folder = Directory.Exists(path) ? path : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var args = MetaParams.Read(System.IO.Path.Combine(folder, MetaParams.FileName));
        var paths = MetaShardFiles.Find(folder);
        var shards = new List<TensorFile>();
        try
        {
            foreach (var shard in paths)
            {
                shards.Add(TorchArchive.Open(shard));
            }

            return new MetaCheckpoint(folder, args, [.. shards]);
        }
        catch
        {
            shards.ForEach(s => s.Dispose());
            throw;
        }
    }

    private long[] Known(string name) =>
        _shapes.TryGetValue(name, out var shape) ? shape : throw new KeyNotFoundException($"{Path} has no tensor '{name}'.");

    private long[] MergedShape(string name)
    {
        var shape = _shards[0].Tensors[name].Shape.ToArray();
        if (MetaShardLayout.SplitDimension(name) is { } dim && dim < shape.Length)
        {
            shape[dim] = _shards.Sum(s => s.Tensors[name].Shape[dim]);
        }

        return shape;
    }

    /// <summary>
    /// Shards of one model hold the same tensors with the same slice shapes and types, and identical
    /// replicated tensors (norms); anything else means shards of different models were mixed.
    /// </summary>
    private static void CheckShardsAgree(TensorFile[] shards)
    {
        var first = shards[0];
        foreach (var other in shards.Skip(1))
        {
            var mismatch = first.Tensors.Keys.Except(other.Tensors.Keys)
                .Concat(other.Tensors.Keys.Except(first.Tensors.Keys)).FirstOrDefault();
            if (mismatch is not null)
            {
                throw Different(first, other, $"tensor {mismatch} is in one and not the other");
            }

            foreach (var (name, a) in first.Tensors)
            {
                var b = other.Tensors[name];
                if (a.Type != b.Type || !Shapes.Equal(a.Shape, b.Shape))
                {
                    throw Different(
                        first,
                        other,
                        $"{name} is {StoredTypes.Name(a.Type)} {Shapes.Format(a.Shape)} in one and " +
                        $"{StoredTypes.Name(b.Type)} {Shapes.Format(b.Shape)} in the other");
                }

                if (name != RopeFreqs && MetaShardLayout.SplitDimension(name) is null && !SameBytes(a, b))
                {
                    throw Different(first, other, $"the replicated tensor {name} differs");
                }
            }
        }
    }

    private static unsafe bool SameBytes(StoredTensor a, StoredTensor b) =>
        new ReadOnlySpan<byte>(a.Pointer, checked((int)a.ByteLength)).SequenceEqual(new ReadOnlySpan<byte>(b.Pointer, checked((int)b.ByteLength)));

    private static CheckpointException Different(TensorFile a, TensorFile b, string what) =>
        new($"{a.Name} and {b.Name} are shards of different models: {what}.");
}
