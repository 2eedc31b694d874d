using System.Text.Json.Nodes;
using Llama.Checkpoints;
using LlamaOrleans.Testing.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Tests.Checkpoints;

public class HuggingFaceCheckpointTests
{
    [Theory]
    [InlineData(Fixtures.Hf, ScalarType.Float32)]
    [InlineData(Fixtures.HfSharded, ScalarType.BFloat16)]
    public void Fixture_opens_with_config_json_under_Meta_names(string fixture, ScalarType stored)
    {
        using var checkpoint = HuggingFaceCheckpoint.Open(Fixtures.Folder(fixture));

        Assert.Equal(CheckpointFormat.Safetensors, checkpoint.Format);
        Assert.Equal(stored, checkpoint.StoredType);
        Assert.False(checkpoint.TiedEmbeddings);
        var args = checkpoint.Args;
        Assert.Equal((64, 5, 8, 4, 512, 1e-5, 10000.0), (args.Dim, args.NLayers, args.NHeads, args.NKvHeads, args.VocabSize, args.NormEps, args.RopeTheta));
        Assert.Equal(172, args.ExplicitHiddenDim);
        Assert.Equal(512, args.TrainedSeqLen);
        using var meta = MetaCheckpoint.Open(Fixtures.Folder(Fixtures.Meta));
        Assert.Equal(meta.TensorNames.Order(), checkpoint.TensorNames.Order());
        foreach (var name in meta.TensorNames)
        {
            Assert.Equal(meta.Shape(name), checkpoint.Shape(name));
        }
    }

    [Fact]
    public void Float32_safetensors_unpermuted_equal_the_Meta_float32_checkpoint()
    {
        AssertSameTensors(Fixtures.Hf, Fixtures.MetaF32);
    }

    [Fact]
    public void Sharded_bfloat16_safetensors_equal_the_Meta_bfloat16_checkpoint()
    {
        AssertSameTensors(Fixtures.HfSharded, Fixtures.Meta);
    }

    [Fact]
    public void Query_and_key_rows_are_really_permuted_in_the_file()
    {
        // Guards the test above against a fixture whose q/k happen to need no un-permuting.
        using var meta = MetaCheckpoint.Open(Fixtures.Folder(Fixtures.MetaF32));
        using var rowSums = meta.Load(TensorNames.Wq(0), ScalarType.Float32, CPU).sum(1);
        using var stored = StoredRows(Fixtures.Folder(Fixtures.Hf), "model.layers.0.self_attn.q_proj.weight");
        Assert.NotEqual(Fixtures.Bytes(rowSums.alias()), Fixtures.Bytes(stored.sum(1)));
    }

    [Fact]
    public void Tied_embeddings_serve_as_the_output_matrix()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        var config = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!;
        config["tie_word_embeddings"] = true;
        File.WriteAllText(folder.File("config.json"), config.ToJsonString());

        // Rewrite the weights without lm_head, as tied exports are saved.
        var tensors = new List<(string, string, long[], byte[])>();
        foreach (var name in StoredNames(Fixtures.Folder(Fixtures.Hf)).Where(n => n != "lm_head.weight"))
        {
            using var t = StoredRows(Fixtures.Folder(Fixtures.Hf), name);
            tensors.Add((name, "F32", t.shape, Fixtures.Bytes(t.alias())));
        }

        SafetensorsWriter.Write(folder.File("model.safetensors"), tensors);

        using var tied = HuggingFaceCheckpoint.Open(folder.Path);

        Assert.True(tied.TiedEmbeddings);
        Assert.Contains(TensorNames.Output, tied.TensorNames);
        Assert.Equal(
            Fixtures.Bytes(tied.Load(TensorNames.TokEmbeddings, ScalarType.Float32, CPU)),
            Fixtures.Bytes(tied.Load(TensorNames.Output, ScalarType.Float32, CPU)));
        Assert.Equal(
            CheckpointInspector.Inspect(Fixtures.Folder(Fixtures.Hf)).ParameterCount - (512 * 64),
            CheckpointInspector.Inspect(folder.Path).ParameterCount);
    }

    [Fact]
    public void A_file_path_inside_the_folder_opens_the_checkpoint()
    {
        using var checkpoint = HuggingFaceCheckpoint.Open(Path.Combine(Fixtures.Folder(Fixtures.HfSharded), "model.safetensors.index.json"));
        Assert.Equal(2, checkpoint.FilePaths.Count);
    }

    private static void AssertSameTensors(string hfFixture, string metaFixture)
    {
        using var hf = HuggingFaceCheckpoint.Open(Fixtures.Folder(hfFixture));
        using var meta = MetaCheckpoint.Open(Fixtures.Folder(metaFixture));

        Assert.Equal(meta.StoredType, hf.StoredType);
        var expected = Fixtures.StoredBytes(meta);
        var actual = Fixtures.StoredBytes(hf);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), name);
        }
    }

    /// <summary>Tensor names exactly as the single safetensors file stores them.</summary>
    private static IEnumerable<string> StoredNames(string folder)
    {
        var bytes = File.ReadAllBytes(Path.Combine(folder, "model.safetensors"));
        var length = (int)BitConverter.ToUInt64(bytes, 0);
        var header = JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        return header.Select(p => p.Key).Where(k => k != "__metadata__").ToList();
    }

    /// <summary>A float32 tensor exactly as the single safetensors file stores it (no renaming or un-permuting).</summary>
    private static Tensor StoredRows(string folder, string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(folder, "model.safetensors"));
        var length = (int)BitConverter.ToUInt64(bytes, 0);
        var entry = JsonNode.Parse(bytes.AsSpan(8, length))![name]!;
        var shape = entry["shape"]!.AsArray().Select(d => (long)d!).ToArray();
        var begin = (int)(long)entry["data_offsets"]![0]!;
        var end = (int)(long)entry["data_offsets"]![1]!;
        var t = empty(shape, ScalarType.Float32);
        bytes.AsSpan(8 + length + begin, end - begin).CopyTo(t.bytes);
        return t;
    }
}
