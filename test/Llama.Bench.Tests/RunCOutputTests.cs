namespace Llama.Bench.Tests;

public class RunCOutputTests
{
    [Fact]
    public void Reads_the_achieved_rate_run_c_prints_last()
    {
        Assert.Equal(24.155844, RunCOutput.ParseTokensPerSecond("achieved tok/s: 24.155844\n"));
    }

    [Fact]
    public void Takes_the_last_rate_when_stderr_holds_other_lines()
    {
        const string stderr = "some warning\nachieved tok/s: 1.5\nachieved tok/s: 13400.000000\n";

        Assert.Equal(13400, RunCOutput.ParseTokensPerSecond(stderr));
    }

    [Fact]
    public void Names_the_last_stderr_line_when_no_rate_was_printed()
    {
        var error = Assert.Throws<BenchException>(() => RunCOutput.ParseTokensPerSecond("Couldn't open file model.bin\n"));

        Assert.Contains("achieved tok/s", error.Message, StringComparison.Ordinal);
        Assert.Contains("Couldn't open file model.bin", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("achieved tok/s: inf\n")]
    [InlineData("achieved tok/s: nan\n")]
    [InlineData("achieved tok/s: 0.000000\n")]
    public void Rejects_a_rate_from_a_run_too_short_to_time(string stderr)
    {
        var error = Assert.Throws<BenchException>(() => RunCOutput.ParseTokensPerSecond(stderr));

        Assert.Contains("--tokens", error.Message, StringComparison.Ordinal);
    }
}
