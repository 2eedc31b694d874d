namespace Llama.Bench.Tests;

public class BenchRunnerTests
{
    [Fact]
    public void Gives_run_c_one_step_less_than_prompt_plus_tokens_for_the_same_generated_count()
    {
        // run.c on stories260K with "Once upon a time" (5 prompt ids) and -n 6 prints two new tokens
        // (", there"): it samples at the last prompt position and at every position after it.
        Assert.Equal(6, BenchRunner.RunCSteps(promptTokens: 5, generatedTokens: 2));
        Assert.Equal(260, BenchRunner.RunCSteps(promptTokens: 5, generatedTokens: 256));
    }
}
