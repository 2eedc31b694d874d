using Llama.Bench.Cluster;

namespace Llama.Bench.Tests.Cluster;

public sealed class ClusterBenchTests
{
    [Fact]
    public void Defaults_are_the_issues_load_64_conversations_x_20_turns_on_3_silos_with_and_without_a_kill()
    {
        var options = ClusterBenchOptions.Parse([]);

        Assert.Equal(64, options.Conversations);
        Assert.Equal(20, options.Turns);
        Assert.Equal(3, options.Silos);
        Assert.Equal([Scenario.Steady, Scenario.Kill], options.Scenarios);
        Assert.Equal(Transport.Http, options.Transport);
        Assert.Empty(options.SiloSettings);
    }

    [Fact]
    public void Options_and_silo_settings_are_read()
    {
        var options = ClusterBenchOptions.Parse([
            "--conversations", "8", "--turns", "3", "--silos", "2", "--reply-tokens", "16", "--scenario", "kill",
            "--silo-setting", "Orleans:ClusteringMode=Redis", "--silo-setting", "ConnectionStrings:Redis=127.0.0.1:6379,password=a=b",
        ]);

        Assert.Equal((8, 3, 2, 16), (options.Conversations, options.Turns, options.Silos, options.ReplyTokens));
        Assert.Equal([Scenario.Kill], options.Scenarios);
        Assert.Equal("Redis", options.SiloSettings["Orleans:ClusteringMode"]);
        Assert.Equal("127.0.0.1:6379,password=a=b", options.SiloSettings["ConnectionStrings:Redis"]);
    }

    [Theory]
    [InlineData("http", "Http")]
    [InlineData("orleans", "Orleans")]
    public void The_transport_is_chosen(string value, string expected)
    {
        Assert.Equal(expected, ClusterBenchOptions.Parse(["--transport", value]).Transport.ToString());
    }

    [Theory]
    [InlineData("--transport", "grpc")]
    [InlineData("--turns", "0")]
    [InlineData("--conversations", "-3")]
    [InlineData("--scenario", "chaos")]
    [InlineData("--silo-setting", "NoEquals")]
    [InlineData("--frobnicate", "1")]
    public void Bad_options_are_refused(string name, string value)
    {
        Assert.Throws<ArgumentException>(() => ClusterBenchOptions.Parse([name, value]));
    }

    [Fact]
    public void A_value_is_required()
    {
        var error = Assert.Throws<ArgumentException>(() => ClusterBenchOptions.Parse(["--transport"]));
        Assert.Contains("--transport needs a value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kill_needs_a_second_silo()
    {
        var error = Assert.Throws<ArgumentException>(() => ClusterBenchOptions.Parse(["--silos", "1"]));
        Assert.Contains("at least 2 silos", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Percentiles_are_nearest_rank_and_per_token_time_excludes_the_first_token()
    {
        var values = Enumerable.Range(1, 100).Select(i => TimeSpan.FromMilliseconds(i)).ToArray();

        Assert.Equal(TimeSpan.FromMilliseconds(50), ScenarioResult.Percentile(values, 50));
        Assert.Equal(TimeSpan.FromMilliseconds(99), ScenarioResult.Percentile(values, 99));
        Assert.Equal(TimeSpan.Zero, ScenarioResult.Percentile([], 50));
        Assert.Equal(TimeSpan.FromMilliseconds(10), new TurnRecord(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), 11, 0).PerToken);
        Assert.Null(new TurnRecord(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), 1, 0).PerToken);
    }
}
