using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Llama.Checkpoints;
using Llama.Cli;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Tests.Checkpoints;

/// <summary>
/// Checkpoints whose headers claim sizes no file holds: each is refused with one short line, quickly and without
/// allocating what the numbers describe.
/// </summary>
public class HostileCheckpointTests
{
    private const long Huge = 1L << 40;

    /// <summary>Far more than one-line errors and header bookkeeping need, far less than the sizes claimed.</summary>
    private const long AllocationLimit = 64L << 20;

    [Fact]
    public void A_safetensors_shape_whose_size_overflows_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        SafetensorsWriter.Write(folder.File("model.safetensors"), [("model.norm.weight", "F32", [Huge, Huge], new byte[16])]);

        var e = Refused(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains($"tensor 'model.norm.weight' has shape [{Huge}, {Huge}], which no file can hold", e.Message);
        Assert.Contains($"[{Huge}, {Huge}], which no file can hold", Refused(() => CheckpointInspector.Inspect(folder.Path)).Message);
    }

    [Fact]
    public void A_negative_safetensors_dimension_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        SafetensorsWriter.Write(folder.File("model.safetensors"), [("model.norm.weight", "F32", [-4, -4], new byte[64])]);

        Assert.Contains("has shape [-4, -4], which no file can hold", Refused(() => HuggingFaceCheckpoint.Open(folder.Path)).Message);
    }

    [Fact]
    public void A_pth_shape_whose_size_overflows_is_an_error()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        PthWriter.Write(folder.File("consolidated.00.pth"),
            [new PthTensor("norm.weight", "FloatStorage", 4, [Huge, Huge], _ => { }) { StorageElements = 0 }]);

        Assert.Contains($"tensor 'norm.weight' has shape [{Huge}, {Huge}], which no file can hold",
            Refused(() => MetaCheckpoint.Open(folder.Path)).Message);
    }

    [Fact]
    public void A_config_claiming_a_huge_model_beside_a_ten_byte_weights_file_is_a_short_error()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("config.json"), new JsonObject
        {
            ["hidden_size"] = 1 << 30,
            ["num_hidden_layers"] = int.MaxValue,
            ["num_attention_heads"] = 1 << 20,
            ["vocab_size"] = int.MaxValue,
            ["intermediate_size"] = int.MaxValue,
            ["max_position_embeddings"] = int.MaxValue,
        }.ToJsonString());
        // Ten bytes: an 8-byte header length of 2, and the header "{}" naming no tensors.
        var weights = new byte[10];
        BinaryPrimitives.WriteUInt64LittleEndian(weights, 2);
        "{}"u8.CopyTo(weights.AsSpan(8));
        File.WriteAllBytes(folder.File("model.safetensors"), weights);

        var e = Refused(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains($"config.json says n_layers is {int.MaxValue}, but {int.MaxValue} of those layers have no tensors (the first is layer 0)", e.Message);
        Assert.InRange(e.Message.Length, 1, 2000);

        var report = CheckpointInspector.Inspect(folder.Path);
        Assert.InRange(report.Problems.Count, 1, 10);
    }

    [Fact]
    public void A_config_claiming_more_layers_than_the_tensors_hold_names_the_first_missing_layer()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        var config = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!;
        config["num_hidden_layers"] = 1_000_000;
        File.WriteAllText(folder.File("config.json"), config.ToJsonString());

        var e = Refused(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains($"config.json says n_layers is 1000000, but {1_000_000 - Fixtures.Layers} of those layers have no tensors " +
            $"(the first is layer {Fixtures.Layers})", e.Message);
    }

    [Fact]
    public void Many_problems_are_cut_to_the_first_few_in_the_message_and_all_reported_by_inspect()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        var config = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!;
        config["hidden_size"] = 128;
        config["num_attention_heads"] = 8;
        config["num_key_value_heads"] = 8;
        File.WriteAllText(folder.File("config.json"), config.ToJsonString());

        var e = Refused(() => HuggingFaceCheckpoint.Open(folder.Path));
        var problems = CheckpointInspector.Inspect(folder.Path).Problems;
        Assert.True(problems.Count > 10);
        Assert.EndsWith($"; and {problems.Count - 10} more problems.", e.Message);
        Assert.DoesNotContain(problems[10], e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void A_llama2c_header_claiming_a_huge_model_is_a_truncated_file(int version)
    {
        using var folder = new TempFolder();
        var path = folder.File("huge.bin");
        // dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len: sizes that overflow a long in bytes.
        int[] header = [1 << 30, int.MaxValue, int.MaxValue, 1 << 20, 1 << 20, int.MaxValue, int.MaxValue];
        var bytes = new byte[version == 1 ? 256 : 28];
        var at = 0;
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0x616b3432);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 1);
            at = 8;
        }

        foreach (var value in header)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), value);
            at += 4;
        }

        File.WriteAllBytes(path, bytes);

        var e = Refused(() => Llama2cCheckpoint.Open(path));
        Assert.Contains($"truncated llama2.c checkpoint: expected ", e.Message);
        Assert.Contains($"but the file has {bytes.Length} bytes", e.Message);
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("inspect")]
    public void The_cli_reports_an_overflowing_shape_in_one_line(string command)
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Hf));
        SafetensorsWriter.Write(folder.File("model.safetensors"), [("model.norm.weight", "BF16", [Huge, Huge], new byte[16])]);
        string[] args = command == "generate"
            ? ["generate", "--model", folder.Path, "--tokenizer", TestData.Tok512, "--prompt", "x"]
            : ["inspect", folder.Path];
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = CliApp.Run(args, stdout, stderr, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Empty(stdout.ToString());
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains("which no file can hold", line);
    }

    /// <summary>Runs a load that must fail, checking it allocates little on the way.</summary>
    private static CheckpointException Refused(Func<object> open)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CheckpointException>(() => (open() as IDisposable)?.Dispose());
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocated, 0, AllocationLimit);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }
}
