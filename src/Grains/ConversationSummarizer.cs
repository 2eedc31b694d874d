using System.Text;

namespace LlamaOrleans.Grains;

/// <summary>
/// Asks the model to fold a conversation's trimmed turns into a short summary, greedily, on the worker that holds the
/// conversation's cache (or an assigned one), under a cache id of its own that is dropped afterwards.
/// </summary>
internal sealed class ConversationSummarizer(WorkerTurnClient workers, ContextPlanner planner, string model, KvHandle? cache, string conversationId)
{
    public async Task<string> Summarize(string? previous, IReadOnlyList<TranscriptEntry> dropped, CancellationToken cancellationToken)
    {
        var prompt = planner.SummaryPrompt(previous, dropped);
        var text = new StringBuilder();
        var cacheId = $"{conversationId}#summary";
        var (worker, _) = await workers.Worker(model, cache);
        await foreach (var e in worker.Generate(new WorkerRequest
        {
            CacheId = cacheId,
            Tokens = [.. prompt.Ids],
            Temperature = 0,
            MaxReplyTokens = planner.SummaryTokensFor(prompt),
        }, cancellationToken))
        {
            text.Append(e.Text);
        }

        await worker.DropCache(cacheId);
        return text.ToString().Trim();
    }
}
