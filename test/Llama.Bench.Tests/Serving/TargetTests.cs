using Llama.Bench.Serving;

namespace Llama.Bench.Tests.Serving;

public class TargetTests
{
    [Fact]
    public void At_least_times_passes_from_the_factor_up()
    {
        var met = Target.AtLeastTimes(180, 5, "1-stream", 36);
        var missed = Target.AtLeastTimes(170, 5, "1-stream", 36);

        Assert.Equal((">= 5.00x 1-stream", 5.0, true), (met.Text, met.Ratio!.Value, met.Passed));
        Assert.False(missed.Passed);
        Assert.Equal(170 / 36.0, missed.Ratio!.Value, 12);
    }

    [Fact]
    public void At_most_times_passes_up_to_the_factor()
    {
        Assert.True(Target.AtMostTimes(150, 1.5, "turn 1", 100).Passed);
        Assert.False(Target.AtMostTimes(151, 1.5, "turn 1", 100).Passed);
    }

    [Fact]
    public void A_missing_or_zero_reference_fails()
    {
        Assert.False(Target.AtLeastTimes(10, 0.9, "engine", double.NaN).Passed);
        Assert.False(Target.AtMostTimes(0, 1.5, "turn 1", 0).Passed);
    }

    [Fact]
    public void Absolute_bounds_have_no_ratio()
    {
        Assert.Equal(new Target("> 0", null, true), Target.Above(3, 0));
        Assert.False(Target.Above(0, 0).Passed);
        Assert.Equal(new Target("= 0", null, true), Target.EqualTo(0, 0));
        Assert.False(Target.EqualTo(2, 0).Passed);
    }

    [Fact]
    public void A_comparison_for_information_has_a_ratio_and_no_verdict()
    {
        Assert.Equal(new Target("vs turn 1", 4.0, null), Target.Versus(400, "turn 1", 100));
    }
}
