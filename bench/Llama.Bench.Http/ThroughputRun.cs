using System.Diagnostics;

namespace Llama.Bench.Http;

/// <summary>
/// <c>concurrency</c> conversations at once, each streaming <c>turns</c> turns one after another; the figure is reply
/// tokens over wall time. Both drivers run the same greedy conversations, so they generate the same tokens.
/// </summary>
internal static class ThroughputRun
{
    public static async Task<double> TokensPerSecondAsync(ITurnDriver driver, int concurrency, int turns, int maxTokens, CancellationToken cancellationToken)
    {
        var conversations = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => driver.CreateAsync(maxTokens, cancellationToken)));
        var clock = Stopwatch.StartNew();
        var tokens = await Task.WhenAll(conversations.Select(async (conversation, index) =>
        {
            var total = 0;
            for (var turn = 0; turn < turns; turn++)
            {
                total += await driver.StreamTurnAsync(conversation, $"Tell me story {index} part {turn} about a dog and a cat.", cancellationToken);
            }

            return total;
        }));
        return tokens.Sum() / clock.Elapsed.TotalSeconds;
    }
}
