using Llama.Checkpoints.Pth;
using Llama.Checkpoints.Storage;
using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Checkpoints;

/// <summary>
/// One model-parallel shard of a Meta checkpoint, read alone: its tensors under Meta's names with the
/// shard's own slice shapes (see <see cref="MetaShardLayout"/> for which dimension each is cut on).
/// </summary>
public sealed class MetaCheckpointShard : IDisposable
{
    private readonly TensorFile _archive;
    private readonly TensorReader _reader = new();

    private MetaCheckpointShard(ModelArgs args, int rank, int shardCount, TensorFile archive)
    {
        Args = args;
        Rank = rank;
        ShardCount = shardCount;
        _archive = archive;
        TensorNames = archive.Tensors.Keys.Where(n => n != MetaCheckpoint.RopeFreqs).ToList();
        StoredType = StoredTypes.Predominant(TensorNames.Select(n => archive.Tensors[n]));
    }

    /// <summary>The shard file.</summary>
    public string Path => _archive.Path;

    /// <summary>The whole model's architecture, from params.json.</summary>
    public ModelArgs Args { get; }

    public int Rank { get; }

    public int ShardCount { get; }

    public ScalarType StoredType { get; }

    public IReadOnlyCollection<string> TensorNames { get; }

    /// <summary>Shape of this shard's slice of a tensor.</summary>
    public long[] Shape(string name) => (long[])Stored(name).Shape.Clone();

    /// <summary>Reads this shard's slice of a tensor, converted to <paramref name="type"/>, on <paramref name="device"/>.</summary>
    public Tensor Load(string name, ScalarType type, Device device) => _reader.Read(Stored(name), type, device);

    public void Dispose()
    {
        _reader.Dispose();
        _archive.Dispose();
    }

    internal static MetaCheckpointShard Open(string path, int rank)
    {
        var folder = Directory.Exists(path) ? path : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var args = MetaParams.Read(System.IO.Path.Combine(folder, MetaParams.FileName));
        var paths = MetaShardFiles.Find(folder);
        if (rank < 0 || rank >= paths.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"{folder} has {paths.Count} shard(s).");
        }

        var archive = TorchArchive.Open(paths[rank]);
        var shard = new MetaCheckpointShard(args, rank, paths.Count, archive);
        try
        {
            var problems = CheckpointConsistency.Check(
                args,
                MetaParams.FileName,
                shard.TensorNames,
                shard.Shape,
                (name, shape) => MetaShardLayout.ShardShape(name, shape, paths.Count));
            CheckpointConsistency.ThrowIfAny(problems, shard.Path);
            return shard;
        }
        catch
        {
            shard.Dispose();
            throw;
        }
    }

    private StoredTensor Stored(string name) =>
        name != MetaCheckpoint.RopeFreqs && _archive.Tensors.TryGetValue(name, out var stored) ? stored : throw new KeyNotFoundException($"{Path} has no tensor '{name}'.");
}
