using System.Buffers.Binary;
using System.Text;
using Llama.Checkpoints;
using Llama.Kernels;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Tests.Checkpoints.Gguf;

/// <summary>Every malformed GGUF file fails with one line naming the problem, without allocating for absurd counts.</summary>
public sealed class GgufErrorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A tiny valid file: stories260K's vocabulary, one layer of dim 32, whose header bytes tests then corrupt.</summary>
    private string Small(Action<GgufWriter>? extra = null, uint version = 3, string architecture = "llama")
    {
        var vocabulary = GgufModels.ReadLlama2cVocabulary(TestData.Tok512);
        var writer = new GgufWriter { Version = version }
            .Add("general.architecture", architecture)
            .Add("llama.embedding_length", 32u)
            .Add("llama.block_count", 1u)
            .Add("llama.feed_forward_length", 64u)
            .Add("llama.attention.head_count", 2u)
            .Add("tokenizer.ggml.model", "llama")
            .Add("tokenizer.ggml.tokens", vocabulary.Tokens)
            .Add("tokenizer.ggml.scores", vocabulary.Scores)
            .Add("tokenizer.ggml.token_type", vocabulary.Types);
        extra?.Invoke(writer);
        foreach (var (name, shape) in ExpectedShapesOf())
        {
            writer.Tensor(name, shape, shape.Length == 2 ? WeightType.Q8_0 : WeightType.F32,
                () => GgufModels.Encode(new float[shape.Aggregate(1L, (a, b) => a * b)], shape[^1], shape.Length == 2 ? WeightType.Q8_0 : WeightType.F32));
        }

        var path = _folder.File($"small-{Guid.NewGuid():N}.gguf");
        writer.Write(path);
        return path;
    }

    private static IEnumerable<(string, long[])> ExpectedShapesOf() =>
    [
        ("token_embd.weight", [512, 32]), ("output_norm.weight", [32]),
        ("blk.0.attn_norm.weight", [32]), ("blk.0.ffn_norm.weight", [32]),
        ("blk.0.attn_q.weight", [32, 32]), ("blk.0.attn_k.weight", [32, 32]), ("blk.0.attn_v.weight", [32, 32]), ("blk.0.attn_output.weight", [32, 32]),
        ("blk.0.ffn_gate.weight", [64, 32]), ("blk.0.ffn_down.weight", [32, 64]), ("blk.0.ffn_up.weight", [64, 32]),
    ];

    private static CheckpointException Fails(string path)
    {
        var error = Assert.Throws<CheckpointException>(() => CheckpointLoader.Open(path));
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    /// <summary>Byte offset just after <paramref name="text"/>'s first occurrence in the file.</summary>
    private static int After(byte[] bytes, string text) => bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) + Encoding.UTF8.GetByteCount(text);

    [Fact]
    public void The_small_file_itself_opens_with_defaults_for_what_it_leaves_out()
    {
        using var checkpoint = CheckpointLoader.Open(Small());
        Assert.Equal(2, checkpoint.Args.KvHeads);
        Assert.Equal(10000, checkpoint.Args.RopeTheta);
        Assert.Null(checkpoint.Args.TrainedSeqLen);
    }

    [Fact]
    public void Version_2_is_read_too() => CheckpointLoader.Open(Small(version: 2)).Dispose();

    [Fact]
    public void Bad_magic()
    {
        var path = _folder.File("bad.gguf");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("GGML0000000000000000000000"));
        Assert.Contains("not a GGUF file", Fails(path).Message);
    }

    [Fact]
    public void Unsupported_version() => Assert.Contains("unsupported GGUF version 1", Fails(Small(version: 1)).Message);

    [Fact]
    public void Another_architecture() => Assert.Contains("general.architecture is \"falcon\"", Fails(Small(architecture: "falcon")).Message);

    [Fact]
    public void Missing_hyper_parameter()
    {
        var path = Small();
        var bytes = File.ReadAllBytes(path);
        var at = After(bytes, "llama.block_count") - "block_count".Length;
        Encoding.ASCII.GetBytes("blocc_count").CopyTo(bytes, at);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("'llama.block_count' is missing", Fails(path).Message);
    }

    [Fact]
    public void Truncated_tensor_data()
    {
        var path = Small();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);
        Assert.Contains("does not lie within", Fails(path).Message);
    }

    [Fact]
    public void Truncated_header()
    {
        var path = Small();
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..2000]);
        Assert.Contains("truncated or corrupt", Fails(path).Message);
    }

    [Fact]
    public void Unknown_tensor_type()
    {
        var path = Small();
        var bytes = File.ReadAllBytes(path);
        // After the name and its dimension count and two dimensions comes the type: Q8_0 (8) becomes Q5_K (13).
        var at = After(bytes, "blk.0.attn_q.weight") + 4 + 16;
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 13);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("stored as Q5_K, which this engine does not read", Fails(path).Message);
    }

    [Fact]
    public void Offset_past_the_end()
    {
        var path = Small();
        var bytes = File.ReadAllBytes(path);
        var at = After(bytes, "blk.0.attn_q.weight") + 4 + 16 + 4;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), 1UL << 40);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("does not lie within", Fails(path).Message);
    }

    [Fact]
    public void Absurd_tensor_count_is_refused_before_allocating()
    {
        var path = Small();
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), ulong.MaxValue / 2);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("the tensor count", Fails(path).Message);
    }

    [Fact]
    public void Absurd_string_length_is_refused_before_allocating()
    {
        var path = Small();
        var bytes = File.ReadAllBytes(path);
        // The first metadata key's length follows the 24-byte header.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), 1UL << 62);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("absurd", Fails(path).Message);
    }

    [Fact]
    public void Absurd_dimension()
    {
        var path = Small();
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(After(bytes, "blk.0.attn_q.weight") + 4), 1UL << 50);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("absurd dimension", Fails(path).Message);
    }

    [Fact]
    public void Shapes_that_disagree_with_the_metadata()
    {
        var path = Small(w => w.Add("llama.attention.head_count_kv", 1u));
        Assert.Contains("tensor layers.0.attention.wk.weight has shape [32, 32]", Fails(path).Message);
    }

    [Fact]
    public void Wrong_metadata_type()
    {
        var path = Small(w => w.Add("llama.rope.freq_base", "ten thousand"));
        Assert.Contains("'llama.rope.freq_base' is the string \"ten thousand\", not a floating-point number", Fails(path).Message);
    }
}
