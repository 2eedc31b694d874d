namespace Llama.Bench.Tests;

public class EngineCliOutputTests
{
    [Fact]
    public void Reads_the_summary_line_that_ends_stderr()
    {
        const string stderr = "loading model\nprompt tokens: 5, generated tokens: 256, prefill: 12.5 ms, decode: 31.25 tok/s\n";

        Assert.Equal(new EngineCliOutput(5, 256, 12.5, 31.25), EngineCliOutput.Parse(stderr));
    }

    [Fact]
    public void Reads_the_summary_without_a_trailing_newline()
    {
        Assert.Equal(
            new EngineCliOutput(1, 2, 0.75, 1e4),
            EngineCliOutput.Parse("prompt tokens: 1, generated tokens: 2, prefill: 0.75 ms, decode: 10000 tok/s"));
    }

    [Fact]
    public void Names_the_expected_format_when_the_summary_is_missing()
    {
        var error = Assert.Throws<BenchException>(() => EngineCliOutput.Parse("Unhandled exception. Boom\n"));

        Assert.Contains(EngineCliOutput.Format, error.Message, StringComparison.Ordinal);
        Assert.Contains("Unhandled exception. Boom", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prompt tokens: 5, generated tokens: 1, prefill: 3 ms, decode: 0 tok/s")]
    [InlineData("prompt tokens: 5, generated tokens: 1, prefill: 3 ms, decode: NaN tok/s")]
    [InlineData("prompt tokens: 5, generated tokens: 1, prefill: 3 ms, decode: ∞ tok/s")]
    [InlineData("prompt tokens: five, generated tokens: 1, prefill: 3 ms, decode: 10 tok/s")]
    public void Rejects_a_summary_without_a_usable_rate(string stderr)
    {
        var error = Assert.Throws<BenchException>(() => EngineCliOutput.Parse(stderr));

        Assert.Contains("unusable", error.Message, StringComparison.Ordinal);
    }
}
