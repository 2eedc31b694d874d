using Llama.Bench.Serving;

namespace Llama.Bench.Tests.Serving;

public class ServingBenchOptionsTests
{
    [Fact]
    public void Defaults_to_all_cores_32_streams_and_conversations_20_turns_and_every_section()
    {
        var options = ServingBenchOptions.Parse([]);

        Assert.Equal(Environment.ProcessorCount, options.Threads);
        Assert.Equal((32, 128, 20, 32, 16), (options.Streams, options.Tokens, options.Turns, options.Conversations, options.ReplyTokens));
        Assert.Equal(["engine", "orleans", "multiturn", "baseline", "memory", "longchat"], options.Sections);
        Assert.Equal(60, options.LongTurns);
        Assert.Null(options.KvBudget);
        Assert.Null(options.KvDType);
    }

    [Fact]
    public void Reads_every_option()
    {
        var options = ServingBenchOptions.Parse(
        [
            "--threads", "4", "--streams", "8", "--tokens", "64", "--turns", "5", "--conversations", "12",
            "--reply-tokens", "10", "--sections", "longchat,memory,engine", "--kv-budget", "3M", "--long-turns", "25",
            "--kv-dtype", "float16",
        ]);

        Assert.Equal((4, 8, 64, 5, 12, 10), (options.Threads, options.Streams, options.Tokens, options.Turns, options.Conversations, options.ReplyTokens));
        // Sections run in the bench's own order, whatever order they are named in.
        Assert.Equal(["engine", "memory", "longchat"], options.Sections);
        Assert.Equal(25, options.LongTurns);
        Assert.Equal(3L << 20, options.KvBudget);
        Assert.Equal("float16", options.KvDType);
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("64k", 64L << 10)]
    [InlineData("512M", 512L << 20)]
    [InlineData("2G", 2L << 30)]
    public void Reads_a_kv_budget_in_bytes_or_binary_units(string value, long bytes)
    {
        Assert.Equal(bytes, ServingBenchOptions.Parse(["--kv-budget", value]).KvBudget);
    }

    [Theory]
    [InlineData("--threads", "0", "at least 1")]
    [InlineData("--streams", "-2", "at least 1")]
    [InlineData("--tokens", "1", "at least 2")]
    [InlineData("--turns", "many", "at least 1")]
    [InlineData("--conversations", "1.5", "at least 1")]
    [InlineData("--reply-tokens", "", "at least 1")]
    [InlineData("--long-turns", "0", "at least 1")]
    [InlineData("--sections", "engine,gpu", "engine,orleans,multiturn,baseline,memory,longchat")]
    [InlineData("--sections", ",", "engine,orleans,multiturn,baseline,memory,longchat")]
    [InlineData("--kv-budget", "0", "positive size")]
    [InlineData("--kv-budget", "12T", "positive size")]
    [InlineData("--kv-budget", "M", "positive size")]
    [InlineData("--kv-budget", "99999999999G", "positive size")]
    [InlineData("--kv-dtype", "int8", "Unknown KV cache dtype 'int8'")]
    public void Rejects_a_bad_value_naming_the_option(string name, string value, string hint)
    {
        var error = Assert.Throws<BenchException>(() => ServingBenchOptions.Parse([name, value]));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_an_unknown_option_and_a_missing_value()
    {
        Assert.Contains("Unknown option '--repeats'", Assert.Throws<BenchException>(() => ServingBenchOptions.Parse(["--repeats", "3"])).Message, StringComparison.Ordinal);
        Assert.Contains("--turns needs a value", Assert.Throws<BenchException>(() => ServingBenchOptions.Parse(["--turns"])).Message, StringComparison.Ordinal);
    }
}
