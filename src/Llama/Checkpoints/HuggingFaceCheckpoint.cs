using Llama.Checkpoints.Safetensors;
using Llama.Checkpoints.Storage;
using Llama.Model;
using static TorchSharp.torch;
using Names = Llama.Checkpoints.TensorNames;

namespace Llama.Checkpoints;

/// <summary>
/// A Hugging Face Llama checkpoint: <c>config.json</c> and <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c>. Tensors appear under Meta's names in Meta's layout: the rotate_half
/// row permutation of wq and wk is undone, and tied embeddings serve as the output matrix.
/// </summary>
public sealed class HuggingFaceCheckpoint : ICheckpoint
{
    private readonly TensorFile[] _files;
    private readonly Dictionary<string, Source> _tensors;
    private readonly TensorReader _reader = new();

    private HuggingFaceCheckpoint(string folder, HuggingFaceConfig config, TensorFile[] files, Dictionary<string, Source> tensors)
    {
        Path = folder;
        Args = config.Args;
        TiedEmbeddings = config.TieWordEmbeddings;
        _files = files;
        _tensors = tensors;
        TensorNames = tensors.Keys.ToList();
        StoredType = StoredTypes.Predominant(tensors.Values.Select(s => s.Stored).Distinct());
    }

    public string Path { get; }

    public CheckpointFormat Format => CheckpointFormat.Safetensors;

    public ModelArgs Args { get; }

    public ScalarType StoredType { get; }

    public IReadOnlyCollection<string> TensorNames { get; }

    /// <summary>Whether config.json ties the output matrix to the embeddings (<c>tie_word_embeddings</c>).</summary>
    public bool TiedEmbeddings { get; }

    /// <summary>The safetensors files read.</summary>
    public IReadOnlyList<string> FilePaths => _files.Select(f => f.Path).ToList();

    /// <summary>Opens the checkpoint in <paramref name="path"/> (its folder, or a file in it).</summary>
    public static HuggingFaceCheckpoint Open(string path)
    {
        var checkpoint = OpenUnchecked(path);
        try
        {
            CheckpointConsistency.ThrowIfAny(CheckpointConsistency.Check(checkpoint, HuggingFaceConfig.FileName), checkpoint.Path);
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    public long[] Shape(string name) => (long[])Known(name).Stored.Shape.Clone();

    public Tensor Load(string name, ScalarType type, Device device)
    {
        var source = Known(name);
        if (source.RowSources is not { } rows)
        {
            return _reader.Read(source.Stored, type, device);
        }

        return _reader.Read(source.Stored.Shape, source.Stored.Type, type, device, ByteSegments.RowsInOrder(source.Stored, rows));
    }

    public void Dispose()
    {
        _reader.Dispose();
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    /// <summary>Opens without checking tensors against config.json (the inspector reports problems instead).</summary>
    internal static HuggingFaceCheckpoint OpenUnchecked(string path)
    {
        var folder = Directory.Exists(path) ? path : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var config = HuggingFaceConfig.Read(System.IO.Path.Combine(folder, HuggingFaceConfig.FileName));
        var files = new List<TensorFile>();
        try
        {
            var weights = ReadWeights(folder, files);
            var tensors = MapToMeta(weights, config);
            return new HuggingFaceCheckpoint(folder, config, [.. files], tensors);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    /// <summary>Opens the safetensors files (into <paramref name="files"/>) and returns every tensor by its Hugging Face name.</summary>
    private static Dictionary<string, StoredTensor> ReadWeights(string folder, List<TensorFile> files)
    {
        var indexPath = System.IO.Path.Combine(folder, SafetensorsIndex.FileName);
        var weights = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        if (File.Exists(indexPath))
        {
            var map = SafetensorsIndex.ReadWeightMap(indexPath);
            var byFile = new Dictionary<string, TensorFile>(StringComparer.Ordinal);
            foreach (var fileName in map.Values.Distinct().Order(StringComparer.Ordinal))
            {
                var filePath = System.IO.Path.Combine(folder, fileName);
                if (!File.Exists(filePath))
                {
                    throw new CheckpointException($"{folder}: missing shard {fileName} named by {SafetensorsIndex.FileName}.");
                }

                var file = SafetensorsFile.Open(filePath);
                files.Add(file);
                byFile[fileName] = file;
            }

            foreach (var (name, fileName) in map)
            {
                weights[name] = byFile[fileName].Tensors.GetValueOrDefault(name)
                    ?? throw new CheckpointException($"{fileName} lacks tensor '{name}', which {SafetensorsIndex.FileName} places there.");
            }

            return weights;
        }

        var candidates = Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal).ToList();
        if (candidates.Count != 1)
        {
            throw new CheckpointException(candidates.Count == 0
                ? $"{folder} holds no .safetensors file."
                : $"{folder} holds {candidates.Count} .safetensors files but no {SafetensorsIndex.FileName} saying how they combine.");
        }

        var single = SafetensorsFile.Open(candidates[0]);
        files.Add(single);
        foreach (var (name, tensor) in single.Tensors)
        {
            weights[name] = tensor;
        }

        return weights;
    }

    private static Dictionary<string, Source> MapToMeta(Dictionary<string, StoredTensor> weights, HuggingFaceConfig config)
    {
        var args = config.Args;
        var tensors = new Dictionary<string, Source>(StringComparer.Ordinal);
        foreach (var (name, stored) in weights.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            if (HuggingFaceNames.IsDerivedBuffer(name) || (config.TieWordEmbeddings && name == HuggingFaceNames.LmHead))
            {
                continue;
            }

            // Unknown names keep their own name, so the consistency check reports them.
            var meta = HuggingFaceNames.ToMeta(name) ?? name;
            var heads = HuggingFaceNames.RotaryHeads(name, args);
            long[]? rows = null;
            if (heads is { } h && args.NHeads > 0 && args.Dim % args.NHeads == 0 && args.HeadDim % 2 == 0 && stored.Shape.Length == 2 && stored.Shape[0] == (long)h * args.HeadDim)
            {
                rows = RotaryPermutation.MetaRowSources(h, args.HeadDim);
            }

            if (!tensors.TryAdd(meta, new Source(stored, rows)))
            {
                throw new CheckpointException($"Two tensors map to {meta}, one of them '{name}'.");
            }
        }

        if (config.TieWordEmbeddings && tensors.TryGetValue(Names.TokEmbeddings, out var embeddings))
        {
            tensors[Names.Output] = embeddings;
        }

        return tensors;
    }

    private Source Known(string name) =>
        _tensors.TryGetValue(name, out var source) ? source : throw new KeyNotFoundException($"{Path} has no tensor '{name}'.");

    /// <summary>Where a Meta-named tensor's bytes are, and the row order to read them in (null: as stored).</summary>
    private sealed record Source(StoredTensor Stored, long[]? RowSources);
}
