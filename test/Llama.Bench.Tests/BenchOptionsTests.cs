namespace Llama.Bench.Tests;

public class BenchOptionsTests
{
    [Fact]
    public void Defaults_to_all_cores_three_repeats_256_tokens_every_model_and_both_engines()
    {
        var options = BenchOptions.Parse([]);

        Assert.Equal(Environment.ProcessorCount, options.Threads);
        Assert.Equal(3, options.Repeats);
        Assert.Equal(256, options.Tokens);
        Assert.Equal(["110m", "260k"], options.Models);
        Assert.Equal(["runc", "ours"], options.Engines);
        Assert.Null(options.RunC);
    }

    [Fact]
    public void Reads_every_option()
    {
        var options = BenchOptions.Parse(
            ["--threads", "4", "--repeats", "5", "--tokens", "64", "--models", "260K", "--engines", "runc", "--runc", "/x/run.c"]);

        Assert.Equal((4, 5, 64, "/x/run.c"), (options.Threads, options.Repeats, options.Tokens, options.RunC));
        Assert.Equal(["260k"], options.Models);
        Assert.Equal(["runc"], options.Engines);
    }

    [Theory]
    [InlineData("--threads", "0", "at least 1")]
    [InlineData("--repeats", "-1", "at least 1")]
    [InlineData("--tokens", "1", "at least 2")]
    [InlineData("--tokens", "many", "at least 2")]
    [InlineData("--models", "7b", "110m,260k")]
    [InlineData("--engines", ",", "runc,ours")]
    public void Rejects_a_bad_value_naming_the_option(string name, string value, string hint)
    {
        var error = Assert.Throws<BenchException>(() => BenchOptions.Parse([name, value]));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_an_unknown_option_and_a_missing_value()
    {
        Assert.Contains("Unknown option '--fast'", Assert.Throws<BenchException>(() => BenchOptions.Parse(["--fast", "1"])).Message, StringComparison.Ordinal);
        Assert.Contains("--tokens needs a value", Assert.Throws<BenchException>(() => BenchOptions.Parse(["--tokens"])).Message, StringComparison.Ordinal);
    }
}
