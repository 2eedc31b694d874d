using System.Text.Json.Nodes;
using Llama.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Tests.Checkpoints;

public class CheckpointInspectorTests
{
    // stories260K: embeddings and output 512 x 64 each, 5 layers of 45,440, final norm 64.
    private const long Parameters = (2 * 512 * 64) + (5 * 45_440) + 64;

    [Theory]
    [InlineData(Fixtures.Meta, CheckpointFormat.MetaPth, ScalarType.BFloat16, 1)]
    [InlineData(Fixtures.MetaMp2, CheckpointFormat.MetaPth, ScalarType.BFloat16, 2)]
    [InlineData(Fixtures.MetaF32, CheckpointFormat.MetaPth, ScalarType.Float32, 1)]
    [InlineData(Fixtures.Hf, CheckpointFormat.Safetensors, ScalarType.Float32, 1)]
    [InlineData(Fixtures.HfSharded, CheckpointFormat.Safetensors, ScalarType.BFloat16, 2)]
    public void Report_describes_the_fixture(string fixture, CheckpointFormat format, ScalarType stored, int shards)
    {
        var folder = Fixtures.Folder(fixture);

        var report = CheckpointInspector.Inspect(folder);

        Assert.Equal(format, report.Format);
        Assert.Equal(stored, report.StoredType);
        Assert.Equal(shards, report.ShardCount);
        Assert.Equal(Parameters, report.ParameterCount);
        Assert.Equal(48, report.TensorCount);
        Assert.Equal(64, report.Args.Dim);
        Assert.Equal(172, report.Args.HiddenDim);
        Assert.Equal(report.Files.Sum(f => new FileInfo(f).Length), report.TotalBytes);
        Assert.Equal(Path.Combine(Path.GetFullPath(folder), "tokenizer.bin"), report.TokenizerPath);
        Assert.Empty(report.Problems);
        Assert.True(report.IsConsistent);
    }

    [Fact]
    public void Report_of_the_llama2c_model()
    {
        var report = CheckpointInspector.Inspect(TestData.Model);

        Assert.Equal(CheckpointFormat.Llama2c, report.Format);
        Assert.Equal(ScalarType.Float32, report.StoredType);
        Assert.Equal(new FileInfo(TestData.Model).Length, report.TotalBytes);
        Assert.Equal(512, report.Args.TrainedSeqLen);
        Assert.Equal(Parameters - (512 * 64), report.ParameterCount);
        Assert.Empty(report.Problems);
    }

    [Fact]
    public void Text_rendering_shows_the_numbers()
    {
        var text = CheckpointInspector.Inspect(Fixtures.Folder(Fixtures.MetaMp2)).ToText();

        Assert.Contains("format       Meta .pth, 2 model-parallel shards\n", text);
        Assert.Contains("stored as    bfloat16\n", text);
        Assert.Contains("parameters   292,800 (292.8K) in 48 tensors\n", text);
        Assert.Contains("heads        8 query, 4 key/value, head dim 8\n", text);
        Assert.Contains("ffn hidden   172 (multiple_of 4)\n", text);
        Assert.Contains("vocab        512\n", text);
        Assert.Contains("norm eps     1e-05\nrope theta   10000\n", text);
        Assert.Contains("problems     none\n", text);
        Assert.EndsWith("tokenizer.bin\nproblems     none\n", text);
    }

    [Fact]
    public void Inconsistencies_are_listed_instead_of_thrown()
    {
        using var folder = TempFolder.CopyOf(Fixtures.Folder(Fixtures.Meta));
        var parameters = JsonNode.Parse(File.ReadAllText(folder.File("params.json")))!;
        parameters["multiple_of"] = 8;
        parameters["vocab_size"] = -1;
        File.WriteAllText(folder.File("params.json"), parameters.ToJsonString());

        var report = CheckpointInspector.Inspect(folder.Path);

        Assert.Equal(-1, report.Args.VocabSize);
        Assert.Equal(3 * Fixtures.Layers, report.Problems.Count);
        Assert.Contains("tensor layers.0.feed_forward.w1.weight has shape [172, 64] but params.json implies [176, 64]", report.Problems);
        Assert.Contains("tensor layers.4.feed_forward.w2.weight has shape [64, 172] but params.json implies [64, 176]", report.Problems);
        var text = report.ToText();
        Assert.Contains("vocab        from the tokenizer (-1)\n", text);
        Assert.Contains("problems     15\n  - tensor layers.0.feed_forward.w1.weight has shape", text);
    }
}
