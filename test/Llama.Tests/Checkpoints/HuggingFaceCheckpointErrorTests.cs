using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Llama.Checkpoints;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Tests.Checkpoints;

public class HuggingFaceCheckpointErrorTests
{
    [Fact]
    public void Header_length_beyond_the_file_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        var path = folder.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains($"model.safetensors: the safetensors header length {bytes.Length} goes beyond the file's {bytes.Length} bytes", e.Message);
    }

    [Fact]
    public void Truncated_data_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.HfSharded));
        var path = folder.File("model-00002-of-00002.safetensors");
        using (var file = File.OpenWrite(path))
        {
            file.SetLength(file.Length - 100);
        }

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("model-00002-of-00002.safetensors: tensor", e.Message);
        Assert.Contains("data bytes the file holds (truncated)", e.Message);
    }

    [Fact]
    public void Unknown_dtype_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        SafetensorsWriter.Write(folder.File("model.safetensors"), [("model.norm.weight", "F64", [64], new byte[64 * 8])]);

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("tensor 'model.norm.weight' has unsupported dtype F64; supported: BF16, F16, F32", e.Message);
    }

    [Fact]
    public void Byte_range_not_matching_the_shape_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        SafetensorsWriter.Write(folder.File("model.safetensors"), [("model.norm.weight", "F32", [64], new byte[63 * 4])]);

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("tensor 'model.norm.weight' spans bytes 0..252, but F32 [64] needs 256", e.Message);
    }

    [Fact]
    public void Header_that_is_not_json_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        var path = folder.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        bytes[8] = (byte)'[';
        bytes[9] = (byte)'?';
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("model.safetensors: the safetensors header is not valid JSON", e.Message);
    }

    [Fact]
    public void Shard_named_by_the_index_but_absent_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.HfSharded));
        File.Delete(folder.File("model-00002-of-00002.safetensors"));

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("missing shard model-00002-of-00002.safetensors named by model.safetensors.index.json", e.Message);
    }

    [Fact]
    public void Index_placing_a_tensor_in_the_wrong_shard_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.HfSharded));
        var index = JsonNode.Parse(File.ReadAllText(folder.File("model.safetensors.index.json")))!;
        index["weight_map"]!["lm_head.weight"] = "model-00001-of-00002.safetensors";
        File.WriteAllText(folder.File("model.safetensors.index.json"), index.ToJsonString());

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("model-00001-of-00002.safetensors lacks tensor 'lm_head.weight'", e.Message);
    }

    [Fact]
    public void Several_files_without_an_index_are_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.HfSharded));
        File.Delete(folder.File("model.safetensors.index.json"));

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("holds 2 .safetensors files but no model.safetensors.index.json", e.Message);
    }

    [Fact]
    public void Config_not_matching_the_tensors_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        var config = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!;
        config["intermediate_size"] = 256;
        File.WriteAllText(folder.File("config.json"), config.ToJsonString());

        var e = Assert.Throws<CheckpointException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("tensor layers.0.feed_forward.w1.weight has shape [172, 64] but config.json implies [256, 64]", e.Message);
    }

    [Fact]
    public void Unknown_tensors_are_reported_by_their_own_names()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        var path = folder.File("model.safetensors");
        SafetensorsWriter.Write(path, [("model.layers.0.self_attn.q_proj.bias", "F32", [64], new byte[64 * 4])]);

        var report = CheckpointInspector.Inspect(folder.Path);
        Assert.Contains("unexpected tensor model.layers.0.self_attn.q_proj.bias [64]", report.Problems);
        Assert.Contains("tensor tok_embeddings.weight is missing", report.Problems);
    }
}
