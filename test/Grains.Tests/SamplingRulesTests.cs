namespace LlamaOrleans.Tests.Grains;

/// <summary>The one set of sampling rules the HTTP API, the conversation grain and the client check with.</summary>
public class SamplingRulesTests
{
    [Fact]
    public void Usable_and_absent_values_pass()
    {
        Assert.Null(SamplingRules.Temperature(0f));
        Assert.Null(SamplingRules.Temperature(1.5f));
        Assert.Null(SamplingRules.Temperature((double?)null));
        Assert.Null(SamplingRules.Temperature(2.0, SamplingRules.OpenAiMaxTemperature));
        Assert.Null(SamplingRules.TopP(1f));
        Assert.Null(SamplingRules.TopP(1e-6));
        Assert.Null(SamplingRules.MaxReplyTokens(null, "max_tokens", 512, "demo"));
        Assert.Null(SamplingRules.MaxReplyTokens(511, "max_tokens", 512, "demo"));
        Assert.Null(SamplingRules.MaxReplyTokens(100_000, "max_tokens"));
    }

    [Fact]
    public void Each_bad_value_gets_one_line_naming_the_field_and_the_value()
    {
        Assert.Equal("temperature must be 0 or more, got -0.1.", SamplingRules.Temperature(-0.1f));
        Assert.Equal("temperature must be 0 or more, got NaN.", SamplingRules.Temperature(float.NaN));
        Assert.Equal("temperature must be between 0 and 2, got 2.5.", SamplingRules.Temperature(2.5, SamplingRules.OpenAiMaxTemperature));
        Assert.Equal("top_p must be in (0, 1], got 0.", SamplingRules.TopP(0f));
        Assert.Equal("top_p must be in (0, 1], got 1.5.", SamplingRules.TopP(1.5));
        Assert.Equal("top_p must be at least 1E-45 (the smallest single-precision number), got 1E-300.", SamplingRules.TopP(1e-300));
        Assert.Equal("max_tokens must be at least 1, got 0.", SamplingRules.MaxReplyTokens(0, "max_tokens"));
        Assert.Equal("max reply tokens must be between 1 and 511 for model 'demo', got 512.", SamplingRules.MaxReplyTokens(512, "max reply tokens", 512, "demo"));
        Assert.Equal("max reply tokens must be between 1 and 511 for model 'demo', got 0.", SamplingRules.MaxReplyTokens(0, "max reply tokens", 512, "demo"));
    }
}
