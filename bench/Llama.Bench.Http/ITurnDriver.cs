namespace Llama.Bench.Http;

/// <summary>One way of running conversation turns: through the grain factory in-process, or through the HTTP API.</summary>
internal interface ITurnDriver
{
    string Name { get; }

    /// <summary>Creates a conversation (greedy, at most <paramref name="maxTokens"/> reply tokens) and returns its id.</summary>
    Task<string> CreateAsync(int maxTokens, CancellationToken cancellationToken);

    /// <summary>Sends a user message, reads the streamed reply to its end and returns how many tokens it had.</summary>
    Task<int> StreamTurnAsync(string conversation, string content, CancellationToken cancellationToken);
}
