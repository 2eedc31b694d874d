using Llama.Bench.Serving;

namespace Llama.Bench.Tests.Serving;

public class StoryPlanTests
{
    [Fact]
    public void Every_request_of_a_throughput_section_sends_a_different_message()
    {
        const int Streams = 32;
        var plan = new StoryPlan(Streams);

        var stories = Enumerable.Range(0, Streams).Select(plan.Stream)
            .Append(plan.Single)
            .Concat(Enumerable.Range(0, Streams).Select(plan.Warmup))
            .Concat(Enumerable.Range(0, 3).SelectMany(round => new[] { plan.Alone(round, direct: true), plan.Alone(round, direct: false) }))
            .Select(Prompts.Story)
            .ToArray();

        Assert.Equal((2 * Streams) + 1 + 6, stories.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Turn_messages_differ_by_conversation_and_turn()
    {
        var messages = Enumerable.Range(0, 64).SelectMany(c => Enumerable.Range(0, 20).Select(t => Prompts.Turn(c, t))).ToArray();

        Assert.Equal(64 * 20, messages.Distinct(StringComparer.Ordinal).Count());
    }
}
