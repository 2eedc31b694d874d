using System.IO.Compression;
using System.Text.Json.Nodes;
using Llama.Checkpoints;
using LlamaOrleans.Testing.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Tests.Checkpoints;

public class MetaCheckpointErrorTests
{
    private static readonly SyntheticParams Tiny = new(Dim: 16, Layers: 2, Heads: 4, KvHeads: 2, Vocab: 32, MultipleOf: 8);

    [Fact]
    public void Synthetic_checkpoint_of_the_test_writer_opens()
    {
        // The failure cases below break one thing each in checkpoints this writer makes.
        using var folder = new TempFolder();
        SyntheticMeta.Write(folder.Path, Tiny);

        using var checkpoint = MetaCheckpoint.Open(folder.Path);
        Assert.Equal(ScalarType.BFloat16, checkpoint.StoredType);
        Assert.Equal([Tiny.Hidden, 16L], checkpoint.Shape(TensorNames.W1(1)));
    }

    [Fact]
    public void Missing_shard_is_named()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.MetaMp2));
        File.Move(folder.File("consolidated.01.pth"), folder.File("consolidated.02.pth"));

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("missing model-parallel shard consolidated.01.pth of 3 (found consolidated.00.pth, consolidated.02.pth)", e.Message);
    }

    [Fact]
    public void Shards_with_different_tensor_shapes_are_different_models()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.MetaMp2));
        File.Copy(Path.Combine(Fixtures.Folder(Fixtures.Meta), "consolidated.00.pth"), folder.File("consolidated.01.pth"), overwrite: true);

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("consolidated.00.pth and consolidated.01.pth are shards of different models", e.Message);
        Assert.Contains("tok_embeddings.weight is bfloat16 [512, 32] in one and bfloat16 [512, 64] in the other", e.Message);
    }

    [Fact]
    public void Shards_with_different_replicated_norms_are_different_models()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("params.json"), Tiny.Json);
        for (var rank = 0; rank < 2; rank++)
        {
            // Same slice shapes in both shards, but each rank's weights (norms included) are its own.
            var tensors = SyntheticMeta.Tensors(Tiny)
                .Select((t, i) => SyntheticMeta.BFloat16(t.Name, MetaShardLayout.ShardShape(t.Name, t.Shape, 2), (100 * rank) + i))
                .ToList();
            PthWriter.Write(folder.File($"consolidated.0{rank}.pth"), tensors, $"consolidated.0{rank}");
        }

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("are shards of different models: the replicated tensor norm.weight differs", e.Message);
    }

    [Fact]
    public void Tensor_shape_not_matching_params_json_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        var parameters = JsonNode.Parse(File.ReadAllText(folder.File("params.json")))!;
        parameters["n_kv_heads"] = 8;
        File.WriteAllText(folder.File("params.json"), parameters.ToJsonString());

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("is inconsistent", e.Message);
        Assert.Contains("tensor layers.0.attention.wk.weight has shape [32, 64] but params.json implies [64, 64]", e.Message);
        Assert.Contains("tensor layers.4.attention.wv.weight has shape [32, 64] but params.json implies [64, 64]", e.Message);
    }

    [Fact]
    public void One_shard_not_matching_params_json_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.MetaMp2));
        File.Delete(folder.File("consolidated.01.pth"));
        File.Copy(Path.Combine(Fixtures.Folder(Fixtures.MetaMp2), "consolidated.00.pth"), folder.File("consolidated.03.pth"));
        File.Copy(Path.Combine(Fixtures.Folder(Fixtures.MetaMp2), "consolidated.00.pth"), folder.File("consolidated.01.pth"));
        File.Copy(Path.Combine(Fixtures.Folder(Fixtures.MetaMp2), "consolidated.00.pth"), folder.File("consolidated.02.pth"));

        // Four shards would each hold a quarter, but these files hold halves.
        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.OpenShard(folder.Path, 3));
        Assert.Contains("tensor layers.0.attention.wq.weight has shape [32, 64] but params.json implies [16, 64]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => MetaCheckpoint.OpenShard(folder.Path, 4));
    }

    [Fact]
    public void Truncated_file_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        using (var file = File.OpenWrite(folder.File("consolidated.00.pth")))
        {
            file.SetLength(file.Length / 2);
        }

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("consolidated.00.pth is not a valid PyTorch zip checkpoint: no end-of-central-directory record (not a zip archive, or truncated)", e.Message);
    }

    [Fact]
    public void Storage_shorter_than_its_element_count_is_truncated_data()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("params.json"), Tiny.Json);
        var tensors = SyntheticMeta.Tensors(Tiny);
        tensors[0] = tensors[0] with { StorageElements = (32 * 16) + 1 };
        PthWriter.Write(folder.File("consolidated.00.pth"), tensors);

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("storage '0' of tensor 'tok_embeddings.weight' holds 1024 bytes, but 513 bfloat16 elements need 1026 (truncated)", e.Message);
    }

    [Fact]
    public void Corrupt_zip_directory_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        var path = folder.File("consolidated.00.pth");
        var bytes = File.ReadAllBytes(path);
        var directory = LastIndexOf(bytes, [0x50, 0x4b, 0x01, 0x02]);
        bytes[directory] = 0;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("is not a valid PyTorch zip checkpoint: central directory entry at byte", e.Message);
        Assert.Contains("has a wrong signature", e.Message);
    }

    [Fact]
    public void A_file_that_is_no_zip_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        File.WriteAllText(folder.File("consolidated.00.pth"), "not a checkpoint");

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("no end-of-central-directory record", e.Message);
    }

    [Fact]
    public void Compressed_member_is_an_error_naming_it()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        using var extracted = new TempFolder();
        ZipFile.ExtractToDirectory(folder.File("consolidated.00.pth"), extracted.Path);
        File.Delete(folder.File("consolidated.00.pth"));
        ZipFile.CreateFromDirectory(extracted.File("consolidated.00"), folder.File("consolidated.00.pth"), CompressionLevel.Optimal, includeBaseDirectory: true);

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("zip member 'consolidated.00/data.pkl' is compressed (method 8)", e.Message);
    }

    [Fact]
    public void Unknown_dtype_is_an_error()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("params.json"), Tiny.Json);
        var tensors = SyntheticMeta.Tensors(Tiny);
        tensors[1] = new PthTensor("norm.weight", "DoubleStorage", 8, [16], s => s.Write(new byte[16 * 8]));
        PthWriter.Write(folder.File("consolidated.00.pth"), tensors);

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("tensor 'norm.weight' has unsupported dtype (storage torch.DoubleStorage); supported: bfloat16, float16, float32", e.Message);
    }

    [Fact]
    public void Pickle_opcode_outside_the_subset_is_named()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        var path = folder.File("consolidated.00.pth");
        var bytes = File.ReadAllBytes(path);
        // data.pkl starts with PROTO 2, EMPTY_DICT; the zip does not check contents, so swap in PERSID.
        var pickle = IndexOf(bytes, [0x80, 0x02, (byte)'}']);
        bytes[pickle + 2] = (byte)'P';
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("consolidated.00.pth (consolidated.00/data.pkl): pickle at byte 2: opcode PERSID (0x50) is outside the subset", e.Message);
    }

    [Fact]
    public void Non_contiguous_tensor_is_an_error()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("params.json"), Tiny.Json);
        var tensors = SyntheticMeta.Tensors(Tiny);
        tensors[0] = tensors[0] with { Stride = [1, 32] };
        PthWriter.Write(folder.File("consolidated.00.pth"), tensors);

        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("tensor 'tok_embeddings.weight' is not contiguous (shape [32, 16], stride [1, 32])", e.Message);
    }

    [Fact]
    public void Malformed_params_json_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        File.WriteAllText(folder.File("params.json"), """{"dim": 64, "n_layers": 5}""");
        var e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("params.json lacks the field 'n_heads'", e.Message);

        File.WriteAllText(folder.File("params.json"), """{"dim": "64",""");
        e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("params.json is not valid JSON", e.Message);

        File.WriteAllText(folder.File("params.json"), """{"dim": 64, "n_layers": 5, "n_heads": 0}""");
        e = Assert.Throws<CheckpointException>(() => MetaCheckpoint.Open(folder.Path));
        Assert.Contains("params.json: Invalid model parameters: n_heads must be positive, got 0.", e.Message);
    }

    private static int IndexOf(byte[] bytes, byte[] pattern) => bytes.AsSpan().IndexOf(pattern);

    private static int LastIndexOf(byte[] bytes, byte[] pattern) => bytes.AsSpan().LastIndexOf(pattern);
}
