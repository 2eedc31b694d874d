using Llama.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Tests.Checkpoints;

public class MetaCheckpointTests
{
    [Theory]
    [InlineData(Fixtures.Meta, ScalarType.BFloat16)]
    [InlineData(Fixtures.MetaFp16, ScalarType.Float16)]
    [InlineData(Fixtures.MetaF32, ScalarType.Float32)]
    [InlineData(Fixtures.MetaMp2, ScalarType.BFloat16)]
    public void Fixture_opens_with_params_json_and_Meta_names_and_shapes(string fixture, ScalarType stored)
    {
        using var checkpoint = MetaCheckpoint.Open(Fixtures.Folder(fixture));

        Assert.Equal(CheckpointFormat.MetaPth, checkpoint.Format);
        Assert.Equal(stored, checkpoint.StoredType);
        var args = checkpoint.Args;
        Assert.Equal((64, 5, 8, 4, 512, 4, 1e-5), (args.Dim, args.NLayers, args.NHeads, args.NKvHeads, args.VocabSize, args.MultipleOf, args.NormEps));
        Assert.Equal(172, args.HiddenDim);
        Assert.Null(args.ExplicitHiddenDim);
        Assert.Equal(10000, args.RopeTheta);

        // 9 tensors per layer, embeddings, final norm and output; rope.freqs is ignored like Meta does.
        Assert.Equal((9 * Fixtures.Layers) + 3, checkpoint.TensorNames.Count);
        Assert.DoesNotContain("rope.freqs", checkpoint.TensorNames);
        Assert.Equal([512L, 64], checkpoint.Shape(TensorNames.TokEmbeddings));
        Assert.Equal([512L, 64], checkpoint.Shape(TensorNames.Output));
        Assert.Equal([64L], checkpoint.Shape(TensorNames.Norm));
        for (var layer = 0; layer < Fixtures.Layers; layer++)
        {
            Assert.Equal([64L, 64], checkpoint.Shape(TensorNames.Wq(layer)));
            Assert.Equal([32L, 64], checkpoint.Shape(TensorNames.Wk(layer)));
            Assert.Equal([32L, 64], checkpoint.Shape(TensorNames.Wv(layer)));
            Assert.Equal([64L, 64], checkpoint.Shape(TensorNames.Wo(layer)));
            Assert.Equal([172L, 64], checkpoint.Shape(TensorNames.W1(layer)));
            Assert.Equal([64L, 172], checkpoint.Shape(TensorNames.W2(layer)));
            Assert.Equal([172L, 64], checkpoint.Shape(TensorNames.W3(layer)));
            Assert.Equal([64L], checkpoint.Shape(TensorNames.AttentionNorm(layer)));
            Assert.Equal([64L], checkpoint.Shape(TensorNames.FfnNorm(layer)));
        }
    }

    [Fact]
    public void Float32_fixture_equals_the_llama2c_model_bit_for_bit()
    {
        using var meta = MetaCheckpoint.Open(Fixtures.Folder(Fixtures.MetaF32));
        using var llama2c = Llama2cCheckpoint.Open(TestData.Model);

        Assert.Equal(llama2c.TensorNames.Order(), meta.TensorNames.Order());
        foreach (var name in meta.TensorNames)
        {
            Assert.Equal(llama2c.Shape(name), meta.Shape(name));
            Assert.True(
                Fixtures.Bytes(llama2c.Load(name, ScalarType.Float32, CPU)).AsSpan().SequenceEqual(Fixtures.Bytes(meta.Load(name, ScalarType.Float32, CPU))),
                name);
        }
    }

    [Theory]
    [InlineData(Fixtures.Meta, ScalarType.BFloat16)]
    [InlineData(Fixtures.MetaFp16, ScalarType.Float16)]
    public void Half_precision_fixture_equals_the_rounded_float32_weights(string fixture, ScalarType type)
    {
        using var f32 = MetaCheckpoint.Open(Fixtures.Folder(Fixtures.MetaF32));
        using var half = MetaCheckpoint.Open(Fixtures.Folder(fixture));

        foreach (var name in f32.TensorNames)
        {
            using var exact = f32.Load(name, ScalarType.Float32, CPU);
            var rounded = Fixtures.Bytes(exact.to(type));
            Assert.True(rounded.AsSpan().SequenceEqual(Fixtures.Bytes(half.Load(name, type, CPU))), name);
        }
    }

    [Fact]
    public void Model_parallel_shards_merge_into_the_single_checkpoint_bit_for_bit()
    {
        using var merged = MetaCheckpoint.Open(Fixtures.Folder(Fixtures.MetaMp2));
        using var single = MetaCheckpoint.Open(Fixtures.Folder(Fixtures.Meta));

        Assert.Equal(2, merged.ShardCount);
        var expected = Fixtures.StoredBytes(single);
        var actual = Fixtures.StoredBytes(merged);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, bytes) in expected)
        {
            Assert.Equal(single.Shape(name), merged.Shape(name));
            Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), name);
        }
    }

    [Fact]
    public void One_shard_opens_alone_with_its_slice_of_each_tensor()
    {
        using var single = MetaCheckpoint.Open(Fixtures.Folder(Fixtures.Meta));
        for (var rank = 0; rank < 2; rank++)
        {
            using var shard = MetaCheckpoint.OpenShard(Fixtures.Folder(Fixtures.MetaMp2), rank);

            Assert.Equal((rank, 2), (shard.Rank, shard.ShardCount));
            Assert.Equal(single.Args, shard.Args);
            Assert.Equal(single.TensorNames.Order(), shard.TensorNames.Order());
            Assert.Equal([512L, 32], shard.Shape(TensorNames.TokEmbeddings));
            Assert.Equal([256L, 64], shard.Shape(TensorNames.Output));
            Assert.Equal([32L, 64], shard.Shape(TensorNames.Wq(0)));
            Assert.Equal([16L, 64], shard.Shape(TensorNames.Wk(0)));
            Assert.Equal([64L, 32], shard.Shape(TensorNames.Wo(0)));
            Assert.Equal([86L, 64], shard.Shape(TensorNames.W1(0)));
            Assert.Equal([64L, 86], shard.Shape(TensorNames.W2(0)));
            Assert.Equal([64L], shard.Shape(TensorNames.Norm));

            foreach (var name in shard.TensorNames)
            {
                using var whole = single.Load(name, ScalarType.Float32, CPU);
                using var slice = MetaShardLayout.SplitDimension(name) is { } dim
                    ? whole.chunk(2, dim)[rank].contiguous()
                    : whole.alias();
                Assert.Equal(Fixtures.Bytes(slice.alias()), Fixtures.Bytes(shard.Load(name, ScalarType.Float32, CPU)));
            }
        }
    }

    [Fact]
    public void Load_converts_to_the_requested_type()
    {
        using var checkpoint = MetaCheckpoint.Open(Fixtures.Folder(Fixtures.Meta));

        using var bf16 = checkpoint.Load(TensorNames.W2(3), ScalarType.BFloat16, CPU);
        using var f32 = checkpoint.Load(TensorNames.W2(3), ScalarType.Float32, CPU);
        using var f16 = checkpoint.Load(TensorNames.W2(3), ScalarType.Float16, CPU);

        Assert.Equal(ScalarType.BFloat16, bf16.dtype);
        Assert.Equal(ScalarType.Float32, f32.dtype);
        Assert.Equal(ScalarType.Float16, f16.dtype);
        Assert.Equal([64L, 172], f32.shape);
        Assert.Equal(Fixtures.Bytes(bf16.to(ScalarType.Float32)), Fixtures.Bytes(f32.alias()));
        Assert.Equal(Fixtures.Bytes(f32.to(ScalarType.Float16)), Fixtures.Bytes(f16.alias()));
    }

    [Fact]
    public void Vocabulary_left_to_the_tokenizer_stays_minus_one()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        File.WriteAllText(folder.File("params.json"), File.ReadAllText(folder.File("params.json")).Replace("\"vocab_size\": 512", "\"vocab_size\": -1", StringComparison.Ordinal));

        using var checkpoint = MetaCheckpoint.Open(folder.Path);

        Assert.Equal(-1, checkpoint.Args.VocabSize);
        Assert.Equal([512L, 64], checkpoint.Shape(TensorNames.TokEmbeddings));
    }

    [Fact]
    public void Stored_types_are_those_expected_json_lists()
    {
        using var expected = System.Text.Json.JsonDocument.Parse(File.ReadAllText(TestData.Path("fixtures/expected.json")));
        var folders = expected.RootElement.EnumerateObject().ToList();
        Assert.Equal(6, folders.Count);
        foreach (var folder in folders)
        {
            using var checkpoint = CheckpointLoader.Open(Fixtures.Folder(folder.Name));
            var dtype = checkpoint.StoredType switch
            {
                ScalarType.BFloat16 => "bfloat16",
                ScalarType.Float16 => "float16",
                ScalarType.Float32 => "float32",
                var other => other.ToString(),
            };
            Assert.Equal(folder.Value.GetProperty("dtype").GetString(), dtype);
        }
    }

    [Fact]
    public void Unknown_tensor_name_is_a_key_error()
    {
        using var checkpoint = MetaCheckpoint.Open(Fixtures.Folder(Fixtures.Meta));

        Assert.Throws<KeyNotFoundException>(() => checkpoint.Shape("rope.freqs"));
        Assert.Throws<KeyNotFoundException>(() => checkpoint.Load("layers.9.attention.wq.weight", ScalarType.Float32, CPU));
    }
}
