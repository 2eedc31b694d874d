
namespace Llama.Bench.Tests;

public class ModelsCommandTests
{
    [Fact]
    public void Prints_the_shipped_model_with_the_tokenizer_our_engine_reads()
    {
        using var stdout = new StringWriter();

        ModelsCommand.Run(["--models", "260k"], stdout, CancellationToken.None);

        var fields = stdout.ToString().TrimEnd('\n').Split('\t');
        Assert.Equal("260k", fields[0]);
        Assert.Equal(Path.GetFullPath(TestData.Model), Path.GetFullPath(fields[1]));
        Assert.Equal(Path.GetFullPath(TestData.Tok512), Path.GetFullPath(fields[2]));
        Assert.Equal(3, fields.Length);
    }

    [Fact]
    public void Rejects_an_unknown_model_before_writing_anything()
    {
        using var stdout = new StringWriter();

        var error = Assert.Throws<BenchException>(() => ModelsCommand.Run(["--models", "7b"], stdout, CancellationToken.None));

        Assert.Contains("110m,260k", error.Message, StringComparison.Ordinal);
        Assert.Empty(stdout.ToString());
    }
}
